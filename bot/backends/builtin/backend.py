"""The built-in booking store: SQLite by default, PostgreSQL through DATABASE_URL.

Start-up never deletes or overwrites data: it creates missing tables and loads the demo only
into an empty database, when demo loading is on (`DEMO_DATA`; on by default only when
DATABASE_URL is unset). Database waits are sized from the message's deadline (see `database`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    Select,
    and_,
    exc,
    insert,
    select,
    text,
    update,
)

from bot.backends.builtin import demo, policy, schema, startup
from bot.backends.builtin.database import (
    WRITE,
    busy_on_lock_errors,
    is_lock_timeout,
    is_memory_sqlite,
    make_engine,
    normalise_url,
    unavailable_on_connection_errors,
)
from bot.backends.builtin.pins import PinHasher, UnknownPepper, peppers_from
from bot.backends.builtin.validation import ValidRequest, validate
from bot.backends.builtin.writes import insert_bookings
from bot.backends.protocol import (
    OPEN_STATUSES,
    PIN_LOGIN,
    BackendBusy,
    BackendUnavailable,
    Booking,
    BookingNotFound,
    BookingRequest,
    BookingStatus,
    BookingWindow,
    Cancellation,
    Capability,
    Catalogue,
    ConfirmationRequired,
    Customer,
    Extra,
    Frequency,
    InvalidCredentials,
    LoginMethod,
    Money,
    NotCancellable,
    OutcomeUnknown,
    Quote,
    Service,
    Tracking,
)
from bot.config import Settings
from bot.deadline import deadline, expired

log = logging.getLogger(__name__)

SERIES_VISITS = 6
"""Visits of a new recurring series written ahead."""
TRACK_HORIZON = timedelta(hours=2)
HEALTH_SECONDS = 2.0
"""/healthz answers within about this long whatever the database does."""
UPGRADE_WAIT_SECONDS = 0.5
"""A login does not wait long to upgrade its PIN hash: the next login will do."""
_MAX_ID = 2**31 - 1

b = schema.bookings


class BuiltinBackend:
    name: str = "builtin"
    login_method: LoginMethod = PIN_LOGIN
    history_limit: int | None = None
    capabilities: frozenset[Capability] = frozenset(
        {Capability.LIST, Capability.BOOK, Capability.CANCEL, Capability.TRACK}
    )

    def __init__(
        self,
        database_url: str | None = None,
        *,
        settings: Settings | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._tz = self.settings.tz
        self._currency = self.settings.currency
        self._fee_rule = policy.parse_fee(self.settings.late_cancel_fee)
        self._pins = PinHasher(
            peppers_from(self.settings.pin_pepper),
            time_cost=self.settings.pin_hash_time_cost,
            memory_kib=self.settings.pin_hash_memory_kib,
        )
        self._load_demo = startup.demo_wanted(self.settings)
        url = normalise_url(database_url)
        if not self._pins.peppered:
            _without_pepper(self.settings)
        self._engine = make_engine(url)
        # A private in-memory database is one shared connection, so its use is serialised;
        # a file or a server gives each thread its own connection.
        self._lock: AbstractContextManager[Any] = (
            threading.RLock() if is_memory_sqlite(url) else nullcontext()
        )
        self._setup_lock = threading.Lock()
        self._ready = False
        self._catalogue: Catalogue | None = None
        try:
            with self._op():
                pass
        except BackendUnavailable as error:  # set up on the first call that works instead
            log.warning("booking database not ready yet, will retry: %s", error)

    # --- demo data ------------------------------------------------------------------------------

    def ensure_demo(self) -> bool:
        """Create missing tables; load the demo into an empty database. True if loaded."""
        with self._lock, unavailable_on_connection_errors(), self._transaction(write=True) as conn:
            loaded = startup.prepare(conn, load_demo=True, seed=self._seed)
        if loaded:
            self._catalogue = None
        self._ready = True
        return loaded

    def reset_demo(self) -> None:
        """Delete every row and load the demo catalogue, customers and bookings afresh."""
        with self._lock, unavailable_on_connection_errors(), self._transaction(write=True) as conn:
            startup.create_schema(conn)
            startup.wipe(conn)
            self._seed(conn)
        self._catalogue = None
        self._ready = True

    # --- the protocol ---------------------------------------------------------------------------

    def login(self, identifier: str, secret: str, one_time_code: str | None = None) -> Customer:
        phone = "".join(ch for ch in identifier if ch.isascii() and ch.isdigit())
        row = None
        if phone:
            with self._reading() as conn:
                row = conn.execute(
                    select(schema.customers).where(schema.customers.c.phone == phone)
                ).first()
        if row is None:
            self._pins.burn_time(secret)
            raise InvalidCredentials("That phone number and PIN don't match.")
        try:
            matches = self._pins.verify(secret, row.pin_hash, row.pin_salt)
        except UnknownPepper:
            log.error("customer %s: the PIN hash was made with a pepper not in PIN_PEPPER", row.id)
            raise BackendUnavailable("PIN check not possible with the configured pepper") from None
        if not matches:
            raise InvalidCredentials("That phone number and PIN don't match.")
        if self._pins.needs_upgrade(row.pin_hash, row.pin_salt):
            self._upgrade_pin_hash(row, secret)
        return Customer(id=str(row.id), name=row.name, phone=row.phone, email=row.email)

    def recent_bookings(self, customer: Customer, limit: int = 25) -> list[Booking]:
        """Newest first (latest start), at most `limit`."""
        customer_id = _customer_id(customer)
        with self._reading() as conn:
            query = (
                _booking_query()
                .where(b.c.customer_id == customer_id)
                .order_by(b.c.start.desc(), b.c.id.desc())
                .limit(max(limit, 0))
            )
            return self._fetch(conn, query)

    def booking(self, customer: Customer, booking_id: str) -> Booking:
        customer_id, number = _customer_id(customer), _booking_number(booking_id)
        with self._reading() as conn:
            return self._load(conn, customer_id, number)[1]

    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            with self._reading() as conn:
                self._catalogue = self._read_catalogue(conn)
        return self._catalogue

    def quote(self, customer: Customer, request: BookingRequest) -> Quote:
        _customer_id(customer)
        valid = validate(self.catalogue(), request, self._now(), self._tz)
        return self._price(valid)

    def create_booking(
        self, customer: Customer, request: BookingRequest, idempotency_key: str
    ) -> Booking:
        customer_id = _customer_id(customer)
        key = idempotency_key.strip()
        if not key or len(key) > 180:
            raise ValueError("idempotency_key must be 1 to 180 characters")
        existing = self._by_key(customer_id, key)
        if existing is not None:
            return existing
        now = self._now()
        valid = validate(self.catalogue(), request, now, self._tz)
        try:
            with self._writing() as conn:
                booking_id = self._insert(conn, customer_id, request, valid, key, now)
                return self._load(conn, customer_id, booking_id)[1]
        except exc.IntegrityError:
            # The same key won a race from another request: that booking is the answer.
            existing = self._by_key(customer_id, key)
            if existing is None:
                raise
            return existing

    def cancel_booking(
        self,
        customer: Customer,
        booking_id: str,
        *,
        confirm_fee: Money | None = None,
        late: bool = False,
        recurring: bool = False,
        future: bool = False,
        reason: str | None = None,
    ) -> Cancellation:
        # The fee is always known here, so `confirm_fee` must equal it; `late` adds nothing.
        # No reason is asked for, so one given is not kept.
        customer_id, number = _customer_id(customer), _booking_number(booking_id)
        now = self._now()
        with self._reading() as conn:
            current = self._load(conn, customer_id, number)[1]
        _check_cancellable(current, now)
        fee = self._late_fee(current, now)
        if fee is not None and confirm_fee != fee:
            raise ConfirmationRequired(
                "late", current, fee=fee, message=f"A late cancellation fee of {fee} applies."
            )
        if current.series_id is not None and not (recurring or future):
            raise ConfirmationRequired(
                "recurring",
                current,
                message=(
                    f"Booking #{current.id} is one of a {(current.frequency or 'repeat').lower()}"
                    " series. Cancel just this visit, or this and all future visits?"
                ),
            )
        with self._writing() as conn:
            return self._cancel(conn, customer_id, current, fee, future, now)

    def track(self, customer: Customer, booking_id: str) -> Tracking:
        customer_id, number = _customer_id(customer), _booking_number(booking_id)
        with self._reading() as conn:
            row, booking = self._load(conn, customer_id, number)
        now = self._now()
        if booking.status not in OPEN_STATUSES:
            return Tracking(booking.id, booking.status.value)
        until = booking.start - now
        if row.service_kind == "ride" and until <= TRACK_HORIZON:
            minutes = int(until.total_seconds() // 60)
            return Tracking(
                booking.id,
                "on the way",
                booking.start,
                stops_ahead=minutes // 10,
                waiting_seconds=0,
            )
        return Tracking(booking.id, "scheduled", booking.start)

    def health(self) -> bool:
        try:
            with deadline(HEALTH_SECONDS), self._reading() as conn:
                conn.execute(text("select 1"))
        except Exception:
            log.warning("booking database health check failed", exc_info=True)
            return False
        return True

    def close(self) -> None:
        self._engine.dispose()

    # --- plumbing -------------------------------------------------------------------------------

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the clock must return an aware datetime")
        return now.astimezone(UTC)

    @contextmanager
    def _op(self) -> Iterator[None]:
        with self._lock, unavailable_on_connection_errors():
            self._ensure_ready()
            yield

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        """A read-only transaction; BackendUnavailable when the database can't answer in time."""
        with self._op(), self._transaction(write=False) as conn:
            yield conn

    @contextmanager
    def _writing(self, wait: float | None = None) -> Iterator[Connection]:
        """A write transaction; BackendBusy when it can't start or commit before the deadline.

        `wait`: the longest to wait for the write lock (default WRITE_WAIT_SECONDS)."""
        with self._op(), self._transaction(write=True, wait=wait) as conn:
            yield conn

    @contextmanager
    def _transaction(self, write: bool, wait: float | None = None) -> Iterator[Connection]:
        if not write:
            with self._engine.connect() as conn:
                yield conn
            return
        with busy_on_lock_errors(), self._engine.connect() as conn:
            conn.execution_options(**{WRITE: True if wait is None else wait})
            transaction = conn.begin()
            try:
                yield conn
                if expired():
                    raise BackendBusy("The deadline passed before the write could commit.")
            except BaseException:
                transaction.rollback()
                raise
            try:
                transaction.commit()
            except exc.DBAPIError as error:
                if is_lock_timeout(error):
                    raise  # not committed: busy, the platform's retry runs it again
                raise OutcomeUnknown("The booking database did not confirm the write.") from error

    def _ensure_ready(self) -> None:
        if self._ready:
            return
        with self._setup_lock:
            if self._ready:
                return
            with self._transaction(write=False) as conn:
                needed = startup.needs_writing(conn, self._load_demo)
            if needed:
                with self._transaction(write=True) as conn:
                    if startup.prepare(conn, self._load_demo, self._seed):
                        log.info("demo data loaded into the empty booking database")
                self._catalogue = None
            self._ready = True

    def _seed(self, conn: Connection) -> None:
        demo.seed(conn, self._now(), self._tz, self._currency, self._pins)

    def _upgrade_pin_hash(self, row: Row[Any], pin: str) -> None:
        """Re-hash a PIN that just verified with today's scheme; the login stands either way."""
        pin_hash, pin_salt = self._pins.hash(pin)
        customers = schema.customers
        try:
            with self._writing(wait=UPGRADE_WAIT_SECONDS) as conn:
                conn.execute(
                    update(customers)
                    .where(customers.c.id == row.id, customers.c.pin_hash == row.pin_hash)
                    .values(pin_hash=pin_hash, pin_salt=pin_salt)
                )
        except BackendUnavailable as error:
            log.warning("customer %s: PIN hash not upgraded this time: %s", row.id, error)

    def _read_catalogue(self, conn: Connection) -> Catalogue:
        money = self._money
        extras: dict[str, list[Extra]] = {}
        for row in conn.execute(select(schema.extras).order_by(schema.extras.c.sort)):
            extras.setdefault(row.service_id, []).append(
                Extra(row.id, row.name, money(row.price_minor), row.max_quantity)
            )
        services = tuple(
            Service(
                id=row.id,
                name=row.name,
                price=money(row.price_minor),
                kind=row.kind,
                extras=tuple(extras.get(row.id, ())),
                duration_minutes=row.duration_minutes,
            )
            for row in conn.execute(select(schema.services).order_by(schema.services.c.sort))
        )
        frequencies = tuple(
            Frequency(row.id, row.name, row.interval_days, row.discount_percent)
            for row in conn.execute(select(schema.frequencies).order_by(schema.frequencies.c.sort))
        )
        return Catalogue(services=services, frequencies=frequencies, window=BookingWindow())

    def _money(self, minor: int) -> Money:
        return Money(minor, self._currency)

    def _price(self, valid: ValidRequest) -> Quote:
        return policy.price(valid.service, valid.extras, valid.frequency, self._currency)

    def _late_fee(self, booking: Booking, now: datetime) -> Money | None:
        if not policy.is_late(booking.start, now, self.settings.late_cancel_hours):
            return None
        fee = self._fee_rule.fee_for(booking.price or self._money(0))
        return fee if fee.minor > 0 else None

    # --- reads ----------------------------------------------------------------------------------

    def _fetch_rows(self, conn: Connection, query: Select[Any]) -> list[tuple[Row[Any], Booking]]:
        rows = conn.execute(query).all()
        labels: dict[int, list[str]] = {}
        if rows:
            be, ex = schema.booking_extras, schema.extras
            extra_rows = conn.execute(
                select(be.c.booking_id, ex.c.name, be.c.quantity)
                .join(ex, and_(ex.c.service_id == be.c.service_id, ex.c.id == be.c.extra_id))
                .where(be.c.booking_id.in_([row.id for row in rows]))
                .order_by(be.c.booking_id, ex.c.sort)
            )
            for extra in extra_rows:
                label = f"{extra.name} x{extra.quantity}" if extra.quantity > 1 else extra.name
                labels.setdefault(extra.booking_id, []).append(label)
        now = self._now()
        return [(row, _to_booking(row, tuple(labels.get(row.id, ())), now)) for row in rows]

    def _fetch(self, conn: Connection, query: Select[Any]) -> list[Booking]:
        return [booking for _, booking in self._fetch_rows(conn, query)]

    def _load(self, conn: Connection, customer_id: int, number: int) -> tuple[Row[Any], Booking]:
        found = self._fetch_rows(
            conn, _booking_query().where(b.c.id == number, b.c.customer_id == customer_id)
        )
        if not found:
            raise BookingNotFound(f"Booking #{number} was not found.")
        return found[0]

    def _by_key(self, customer_id: int, key: str) -> Booking | None:
        with self._reading() as conn:
            found = self._fetch(
                conn,
                _booking_query().where(b.c.customer_id == customer_id, b.c.idempotency_key == key),
            )
        return found[0] if found else None

    # --- writes ---------------------------------------------------------------------------------

    def _insert(
        self,
        conn: Connection,
        customer_id: int,
        request: BookingRequest,
        valid: ValidRequest,
        key: str,
        now: datetime,
    ) -> int:
        """Insert the booking (and, for a series, its first visits); the first visit's id."""
        start = request.start if request.start.tzinfo else request.start.replace(tzinfo=UTC)
        frequency = valid.frequency
        series_id = None
        starts = [start]
        if frequency.interval_days:
            series_id = conn.execute(
                insert(schema.series).values(
                    customer_id=customer_id, frequency_id=frequency.id, created_at=now
                )
            ).inserted_primary_key[0]
            starts = policy.visit_starts(start, frequency.interval_days, SERIES_VISITS, self._tz)
        total = self._price(valid).total
        lat, lon = request.location or (None, None)
        common = {
            "customer_id": customer_id,
            "service_id": valid.service.id,
            "status": BookingStatus.BOOKED.value,
            "address": _clean(request.address),
            "city": _clean(request.city),
            "postcode": _clean(request.postcode),
            "pickup": _clean(request.pickup),
            "dropoff": _clean(request.dropoff),
            "lat": lat,
            "lon": lon,
            "note": _clean(request.note),
            "price_minor": total.minor,
            "currency": total.currency,
            "frequency_id": frequency.id,
            "series_id": series_id,
            "created_at": now,
        }
        rows = [
            {**common, "start": visit, "idempotency_key": key if k == 0 else f"{key}#{k}"}
            for k, visit in enumerate(starts)
        ]
        chosen = [(extra.id, quantity) for extra, quantity in valid.extras]
        ids = insert_bookings(conn, rows, [chosen] * len(rows))
        return ids[0]

    def _cancel(
        self,
        conn: Connection,
        customer_id: int,
        current: Booking,
        fee: Money | None,
        future: bool,
        now: datetime,
    ) -> Cancellation:
        number = int(current.id)
        done = conn.execute(
            update(b)
            .where(
                b.c.id == number,
                b.c.customer_id == customer_id,
                b.c.status == BookingStatus.BOOKED.value,
                b.c.start > now,
            )
            .values(
                status=BookingStatus.CANCELLED.value,
                cancelled_at=now,
                cancellation_fee_minor=fee.minor if fee else None,
            )
        )
        if done.rowcount != 1:
            # Someone else got there first: report what the booking is now.
            _check_cancellable(self._load(conn, customer_id, number)[1], now)
            raise NotCancellable(f"Booking #{number} can't be cancelled any more.")
        ids = [number]
        series_id = int(current.series_id) if current.series_id else None
        if series_id is not None and future:
            ids += conn.execute(
                update(b)
                .where(
                    b.c.series_id == series_id,
                    b.c.start > current.start,
                    b.c.start > now,
                    b.c.status == BookingStatus.BOOKED.value,
                )
                .values(status=BookingStatus.CANCELLED.value, cancelled_at=now)
                .returning(b.c.id)
            ).scalars()
        cancelled = self._fetch(conn, _booking_query().where(b.c.id.in_(ids)).order_by(b.c.start))
        next_remaining = None
        if series_id is not None:
            remaining = self._fetch(
                conn,
                _booking_query()
                .where(
                    b.c.series_id == series_id,
                    b.c.status == BookingStatus.BOOKED.value,
                    b.c.start > now,
                )
                .order_by(b.c.start)
                .limit(1),
            )
            next_remaining = remaining[0] if remaining else None
        return Cancellation(cancelled=tuple(cancelled), fee=fee, next_remaining=next_remaining)


def _without_pepper(settings: Settings) -> None:
    """No PIN_PEPPER: fine for the quick start, a warning on a SQLite file, refused on PostgreSQL
    (a real deployment; see `pins` for why)."""
    if settings.database_url is None:
        log.info("PIN_PEPPER is not set: PIN hashes have no pepper (quick start)")
        return
    if normalise_url(settings.database_url).get_backend_name() == "postgresql":
        raise ValueError(
            "PIN_PEPPER must be set when DATABASE_URL is a PostgreSQL database: a random secret"
            " of at least 16 characters, e.g. python -c 'import secrets;"
            " print(secrets.token_urlsafe(32))'"
        )
    log.warning("PIN_PEPPER is not set: PIN hashes have no pepper; set it for a real deployment")


def _booking_query() -> Select[Any]:
    return (
        select(
            b,
            schema.services.c.name.label("service_name"),
            schema.services.c.kind.label("service_kind"),
            schema.frequencies.c.name.label("frequency_name"),
        )
        .join(schema.services, schema.services.c.id == b.c.service_id)
        .outerjoin(schema.frequencies, schema.frequencies.c.id == b.c.frequency_id)
    )


def _to_booking(row: Row[Any], extras: tuple[str, ...], now: datetime) -> Booking:
    status = BookingStatus(row.status)
    if status == BookingStatus.BOOKED and row.start <= now:
        status = BookingStatus.COMPLETED
    address = _join_address(row.address, row.city, row.postcode)
    return Booking(
        id=str(row.id),
        status=status,
        start=row.start,
        service=row.service_name,
        address=address or None,
        pickup=row.pickup,
        dropoff=row.dropoff,
        price=Money(row.price_minor, row.currency),
        frequency=row.frequency_name if row.series_id is not None else None,
        series_id=str(row.series_id) if row.series_id is not None else None,
        extras=extras,
    )


def _check_cancellable(booking: Booking, now: datetime) -> None:
    if booking.status == BookingStatus.CANCELLED:
        raise NotCancellable(f"Booking #{booking.id} is already cancelled.")
    if booking.start <= now:
        raise NotCancellable(f"Booking #{booking.id} has already taken place.")
    if booking.status not in OPEN_STATUSES:
        raise NotCancellable(f"Booking #{booking.id} is {booking.status.value}.")


def _customer_id(customer: Customer) -> int:
    try:
        return int(customer.id)
    except (TypeError, ValueError):
        raise InvalidCredentials("Please log in again.") from None


def _booking_number(booking_id: str) -> int:
    text_id = str(booking_id).strip().lstrip("#")
    if not (text_id.isascii() and text_id.isdigit()) or int(text_id) > _MAX_ID:
        raise BookingNotFound(f"Booking #{text_id} was not found.")
    return int(text_id)


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _join_address(*parts: str | None) -> str:
    """'12 High St, London, E1 6AN', without repeating what the first part already says."""
    joined: list[str] = []
    for part in parts:
        if part and not any(part.lower() in earlier.lower() for earlier in joined):
            joined.append(part)
    return ", ".join(joined)
