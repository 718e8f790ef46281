"""What both Launch27 APIs share: the account settings, the catalogue and quotes (the public
booking helpers under /latest), and creating a booking exactly once without an idempotency key.

`LAUNCH27_URL` is the business's subdomain (https://acme.launch27.com); the current API lives
under /latest (the wiki's curl examples), the legacy one under /api.

Launch27 takes no idempotency key, so the booking's content is its key: before a create, and
again when a create's answer was lost, the customer's bookings on that day are searched for an
active one with the same services, start and address. Found: that booking is the answer (a
customer never gets the same visit twice). Not found after a lost answer, or the search itself
failing: OutcomeUnknown, and nothing is sent again in this request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx

from bot.backends.launch27 import catalogue as cat
from bot.backends.launch27.http import AnswerLost, Launch27Http
from bot.backends.protocol import (
    EMAIL_PASSWORD_LOGIN,
    OPEN_STATUSES,
    BackendError,
    Booking,
    BookingRequest,
    BookingStatus,
    Capability,
    Catalogue,
    Customer,
    LoginExpired,
    LoginMethod,
    OutcomeUnknown,
    Quote,
    Tracking,
)
from bot.config import Settings

log = logging.getLogger(__name__)

CATALOGUE_SECONDS = 300.0
LIST_LIMIT = 25


@dataclass(frozen=True)
class Listed:
    """A booking and what identifies its content (for finding a create whose answer was lost)."""

    booking: Booking
    service_ids: frozenset[str]
    address: str

    def matches(self, request: BookingRequest) -> bool:
        return (
            self.booking.status in OPEN_STATUSES
            and minute(self.booking.start) == minute(request.start)
            and self.service_ids == frozenset(line.service_id for line in request.service_lines)
            and self.address == normal_address(request.address)
        )


@dataclass
class Parts:
    """A platform booking's services, extras and pricing parameters, gathered from either
    API's shape, then made into a `Listed` booking."""

    ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)
    details: list[tuple[str, str]] = field(default_factory=list)

    def service(self, service_id: Any, name: str | None) -> None:
        self.ids.append(str(service_id))
        self.names.append(name or f"Service {service_id}")

    def extra(self, name: str, quantity: Any) -> None:
        count = int(quantity or 1)
        self.extras.append(f"{name} x{count}" if count > 1 else name)

    def parameter(self, name: str, quantity: Any) -> None:
        self.details.append((name, str(quantity)))

    def listed(
        self,
        raw: dict[str, Any],
        account: cat.Account,
        *,
        place: Mapping[str, Any],
        price: Any,
        frequency: str | None,
        frequency_id: Any,
    ) -> Listed:
        """`frequency`: the repeat's name for a booking of a series, else None."""
        if raw.get("completed"):
            status = BookingStatus.COMPLETED
        elif raw.get("active") is False:
            status = BookingStatus.CANCELLED
        else:
            status = BookingStatus.BOOKED
        where = ", ".join(str(place[k]) for k in ("address", "city", "zip") if place.get(k))
        booking = Booking(
            id=as_id(raw.get("id")),
            status=status,
            start=account.local(raw.get("service_date")),
            service=" + ".join(self.names) or "Booking",
            address=where or None,
            price=account.money(price) if price is not None else None,
            frequency=frequency,
            series_id=f"frequency-{frequency_id}" if frequency is not None else None,
            extras=tuple(self.extras),
            details=tuple(self.details),
        )
        return Listed(booking, frozenset(self.ids), normal_address(place.get("address")))


def minute(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(second=0, microsecond=0)


def normal_address(address: str | None) -> str:
    return " ".join((address or "").lower().replace(",", " ").split())


class Launch27Base:
    name: str = "launch27"
    login_method: LoginMethod = EMAIL_PASSWORD_LOGIN
    capabilities: frozenset[Capability] = frozenset(
        {Capability.LIST, Capability.BOOK, Capability.CANCEL}
    )
    history_limit: int | None = None

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        settings: Settings | None = None,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], datetime] | None = None,
        connect_timeout: float = 2.0,
        read_timeout: float = 5.0,
    ) -> None:
        self.settings = settings or Settings()
        self.api_key = api_key
        self.http = Launch27Http(
            base_url,
            headers=self._base_headers(),
            client=client,
            transport=transport,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )
        self._clock = clock or (lambda: datetime.now(UTC))
        self._account: cat.Account | None = None
        self._catalogue: tuple[float, Catalogue] | None = None

    def _base_headers(self) -> dict[str, str]:
        return {}

    def _helper_headers(self, customer: Customer | None) -> dict[str, str]:
        """Headers for the /latest booking helpers (the current API's bearer, where there is one)."""
        return {}

    # --- shared protocol calls ------------------------------------------------------------------

    def account(self) -> cat.Account:
        if self._account is None:
            body = self.http.read("GET", "/latest/settings")
            self._account = cat.Account.from_json(body, self.settings.tz, self.settings.currency)
        return self._account

    def catalogue(self) -> Catalogue:
        cached = self._catalogue
        if cached is not None and time.monotonic() - cached[0] < CATALOGUE_SECONDS:
            return cached[1]
        account = self.account()
        catalogue = cat.catalogue(
            self.http.read("GET", "/latest/booking/services"),
            self.http.read("GET", "/latest/booking/frequencies"),
            self.http.read("GET", "/latest/policy/booking"),
            account,
        )
        self._catalogue = (time.monotonic(), catalogue)
        return catalogue

    def quote(self, customer: Customer, request: BookingRequest) -> Quote:
        account = self.account()
        body = cat.estimate_body(request, self.catalogue(), account)
        answer = self.http.read(
            "POST",
            "/latest/booking/estimate_price",
            json=body,
            headers=self._helper_headers(customer),
        )
        return cat.quote(answer, account)

    def recent_bookings(self, customer: Customer, limit: int = LIST_LIMIT) -> list[Booking]:
        limit = max(0, min(limit, LIST_LIMIT))
        if not limit:
            return []
        listed = self._list(customer, None, None, limit)
        listed.sort(key=lambda item: (item.booking.start, _id_order(item.booking.id)), reverse=True)
        return [item.booking for item in listed[:limit]]

    def create_booking(
        self, customer: Customer, request: BookingRequest, idempotency_key: str
    ) -> Booking:
        if not idempotency_key.strip():
            raise ValueError("idempotency_key must not be empty")
        catalogue = self.catalogue()
        # A create repeated (same key, a retry after a lost answer, another worker) finds the
        # booking the first one made. Nothing has been sent yet, so a failure here is plain.
        found = self._find(customer, request)
        if found is not None:
            return found
        try:
            return self._create(customer, request, catalogue)
        except AnswerLost as lost:
            log.warning("launch27 create: answer lost (%s); looking for the booking", lost)
            try:
                found = self._find(customer, request)
            except LoginExpired:
                raise
            except BackendError as error:
                raise OutcomeUnknown("The booking may or may not have been made.") from error
            if found is None:
                raise OutcomeUnknown("The booking may or may not have been made.") from lost
            return found

    def track(self, customer: Customer, booking_id: str) -> Tracking:
        raise NotImplementedError("Launch27 has no tracking")

    def health(self) -> bool:
        try:
            self.http.read("GET", "/latest/policy/booking")
        except BackendError:
            log.warning("launch27 health check failed", exc_info=True)
            return False
        return True

    def close(self) -> None:
        self.http.close()

    # --- per API --------------------------------------------------------------------------------

    def _list(
        self, customer: Customer, start: date | None, end: date | None, limit: int
    ) -> list[Listed]:
        raise NotImplementedError

    def _create(self, customer: Customer, request: BookingRequest, catalogue: Catalogue) -> Booking:
        raise NotImplementedError

    # --- helpers --------------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC)

    def _next_of(self, customer: Customer, cancelled: Listed) -> Booking | None:
        """The series' next booking still on, after `cancelled` was cancelled."""
        if not cancelled.booking.recurring:
            return None
        try:
            listed = self._list(customer, None, None, 0)
        except BackendError:  # the cancel happened; the next visit is only a courtesy
            return None
        later = [
            item.booking
            for item in listed
            if item.booking.series_id == cancelled.booking.series_id
            and item.service_ids == cancelled.service_ids
            and item.booking.start > cancelled.booking.start
            and item.booking.status in OPEN_STATUSES
        ]
        return min(later, key=lambda b: b.start) if later else None

    def _find(self, customer: Customer, request: BookingRequest) -> Booking | None:
        day = request.start.astimezone(self.account().tz).date()
        found = [item for item in self._list(customer, day, day, 0) if item.matches(request)]
        if not found:
            return None
        return max(found, key=lambda item: _id_order(item.booking.id)).booking


def _id_order(booking_id: str) -> tuple[int, str]:
    return (int(booking_id), "") if booking_id.isdigit() else (0, booking_id)


def as_id(value: Any) -> str:
    return str(cat.need(value, int, "a booking id"))
