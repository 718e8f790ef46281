"""car2go (API v2.1) as a booking backend: connect by link (OAuth 1.0a), list, reserve, cancel.

Decisions where car2go's documentation is silent:
- Cancelling asks no question first: car2go states the cancel fee only in the answer to the
  cancel itself (`cancelFeeExists`, `cancelFee`, `cancelFeeCurrency`), which the Cancellation
  carries back to the customer.
- A reservation has no idempotency key. Before reserving, the customer's bookings are read: a
  booking of the same car (VIN) is the earlier attempt's, and is returned instead of a second one.
- The account charged is the first one `GET /accounts` lists for the location.
- The customer's name and id come from that first account (`description`, `accountId`).
- car2go states no prices: the quote is zero, its one line saying that driving is charged by car2go.
"""

from __future__ import annotations

import hashlib
import logging
import time as clock_time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import httpx

from bot.backends.car2go import parse
from bot.backends.car2go.api import Car2goApi, TokenPair
from bot.backends.car2go.codes import NO_ACCOUNT
from bot.backends.car2go.nearby import nearest
from bot.backends.protocol import (
    LINK_LOGIN,
    Authorization,
    BackendError,
    BackendUnavailable,
    Booking,
    BookingNotFound,
    BookingRequest,
    BookingStatus,
    BookingWindow,
    Cancellation,
    Capability,
    Catalogue,
    Customer,
    Frequency,
    LoginExpired,
    Money,
    Quote,
    Rejected,
    Service,
    Tracking,
    Vehicle,
)
from bot.config import Settings
from bot.deadline import deadline

log = logging.getLogger(__name__)

SERVICE_ID = "car"
HEALTH_CHECK_SECONDS = 3.0
CHOOSE_A_CAR = "Please choose a car first."
NO_TRACKING = "car2go bookings can't be tracked here."
CONNECT_BY_LINK = "car2go accounts connect through a link, not a PIN."


class Car2goBackend:
    name = "car2go"
    login_method = LINK_LOGIN
    capabilities = frozenset({Capability.LIST, Capability.BOOK, Capability.CANCEL})
    history_limit: int | None = None

    def __init__(
        self,
        api: Car2goApi,
        currency: str = "EUR",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.api = api
        self.currency = currency
        self.clock = clock or (lambda: datetime.now(UTC))
        self.health_cache_seconds = 15.0
        self._health: tuple[float, bool] | None = None

    # --- connecting (LinkLogin) -------------------------------------------------------------

    def start_authorization(self, callback_url: str | None = None) -> Authorization:
        """`callback_url` is not sent: car2go requires `oauth_callback=oob` and redirects to the
        callback URL registered for the consumer (ours: /oauth/car2go/callback)."""
        pair = self.api.request_token()
        return Authorization(self.api.authorize_url(pair.token), pair.token, pair.secret)

    def finish_authorization(self, authorization: Authorization, verifier: str) -> Customer:
        request = TokenPair(authorization.request_token, authorization.request_secret)
        access = self.api.access_token(request, verifier.strip())
        customer = Customer(
            id="car2go-" + hashlib.sha256(access.token.encode()).hexdigest()[:12],
            name="car2go customer",
            token=access.token,
            token_secret=access.secret,
        )
        try:
            accounts = parse.accounts(self.api.get("accounts", access))
        except (Rejected, BackendUnavailable, parse.MalformedAnswer) as exc:
            # Connected all the same: the name is a nicety, and "no account" is said on booking.
            log.info("car2go: connected without account details (%s)", type(exc).__name__)
            return customer
        if not accounts:
            return customer
        account_id, description = accounts[0]
        return Customer(
            id=f"car2go-{account_id}",
            name=description or customer.name,
            token=access.token,
            token_secret=access.secret,
        )

    def login(self, identifier: str, secret: str, one_time_code: str | None = None) -> Customer:
        raise Rejected(CONNECT_BY_LINK)

    # --- list -------------------------------------------------------------------------------

    def recent_bookings(self, customer: Customer, limit: int = 25) -> list[Booking]:
        found = self._bookings(customer)
        return sorted(found, key=lambda b: b.start, reverse=True)[:limit]

    def booking(self, customer: Customer, booking_id: str) -> Booking:
        for found in self._bookings(customer):
            if found.id == booking_id.strip().lstrip("#"):
                return found
        raise BookingNotFound(booking_id)

    # --- book -------------------------------------------------------------------------------

    def catalogue(self) -> Catalogue:
        car = Service(SERVICE_ID, "car2go car", Money(0, self.currency), kind="vehicle")
        return Catalogue(
            services=(car,),
            frequencies=(Frequency("once", "One-off"),),
            window=BookingWindow(
                min_notice=timedelta(0), opens=time(0, 0), closes=time(23, 59), slot_minutes=1
            ),
        )

    def vehicles_near(self, near: str | tuple[float, float], limit: int = 5) -> list[Vehicle]:
        try:
            cars = parse.vehicles(self.api.public("vehicles"))
        except parse.MalformedAnswer as exc:
            raise BackendUnavailable(f"car2go vehicles: {exc}") from None
        return nearest(cars, near, limit)

    def quote(self, customer: Customer, request: BookingRequest) -> Quote:
        free = Money(0, self.currency)
        return Quote(free, (("Reserving is free; car2go charges the drive by the minute", free),))

    def create_booking(
        self, customer: Customer, request: BookingRequest, idempotency_key: str
    ) -> Booking:
        vin = (request.vehicle_id or "").strip()
        if not vin:
            raise Rejected(CHOOSE_A_CAR, {"vehicle": "required"})
        access = _access(customer)
        for earlier in self._raw_bookings(access):
            if str((earlier.get("vehicle") or {}).get("vin") or "") == vin:
                log.info("car2go: reservation of this car already made; not reserving twice")
                return self._parse_booking(earlier)
        accounts = parse.accounts(self.api.get("accounts", access))
        if not accounts:
            raise Rejected(NO_ACCOUNT)
        body = self.api.write(
            "POST", "bookings", access, {"loc": self.api.loc, "vin": vin, "account": accounts[0][0]}
        )
        created = body.get("booking")
        items = created if isinstance(created, list) else [created] if created else []
        if not items:
            log.error("car2go create booking: answer without the booking")
            raise BackendUnavailable("car2go create booking: no booking in the answer")
        return self._parse_booking(items[0])

    # --- cancel -----------------------------------------------------------------------------

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
        target = self.booking(customer, booking_id)
        body = self.api.write("DELETE", f"booking/{target.id}", _access(customer), {})
        try:
            fee = parse.cancel_fee(body)
        except parse.MalformedAnswer as exc:
            log.error("car2go cancel: %s", exc)
            fee = None
        cancelled = replace(target, status=BookingStatus.CANCELLED)
        return Cancellation(cancelled=(cancelled,), fee=fee, late_fee=False)

    # --- the rest ---------------------------------------------------------------------------

    def track(self, customer: Customer, booking_id: str) -> Tracking:
        raise Rejected(NO_TRACKING)

    def health(self) -> bool:
        """car2go answers a public call. Remembered for `health_cache_seconds`, since car2go
        allows only a few calls per second and /healthz may be polled often."""
        now = clock_time.monotonic()
        if self._health is not None and now - self._health[0] < self.health_cache_seconds:
            return self._health[1]
        with deadline(HEALTH_CHECK_SECONDS):
            try:
                self.api.public("locations")
                healthy = True
            except BackendError:
                healthy = False
        self._health = (now, healthy)
        return healthy

    def close(self) -> None:
        self.api.close()

    def _bookings(self, customer: Customer) -> list[Booking]:
        return [self._parse_booking(item) for item in self._raw_bookings(_access(customer))]

    def _raw_bookings(self, access: TokenPair) -> list[dict]:
        body = self.api.get("bookings", access)
        try:
            return parse.as_list(body.get("booking"))
        except parse.MalformedAnswer as exc:
            raise BackendUnavailable(f"car2go bookings: {exc}") from None

    @staticmethod
    def _parse_booking(item: dict) -> Booking:
        try:
            return parse.booking(item)
        except parse.MalformedAnswer as exc:
            log.error("car2go: %s", exc)
            raise BackendUnavailable("car2go: malformed booking") from None


def _access(customer: Customer) -> TokenPair:
    if not customer.token or not customer.token_secret:
        raise LoginExpired("not connected to car2go")
    return TokenPair(customer.token, customer.token_secret)


def make_car2go_backend(
    settings: Settings,
    *,
    client: httpx.Client | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Car2goBackend:
    """The backend for BOOKING_BACKEND=car2go; each missing setting is named."""
    required = {
        "CAR2GO_URL": settings.car2go_url,
        "CAR2GO_CONSUMER_KEY": settings.car2go_consumer_key,
        "CAR2GO_CONSUMER_SECRET": settings.car2go_consumer_secret,
        "CAR2GO_LOC": settings.car2go_loc,
    }
    missing = [name for name, value in required.items() if not value]
    if missing:
        raise ValueError(f"BOOKING_BACKEND=car2go needs {', '.join(missing)}")
    api = Car2goApi(
        settings.car2go_url or "",
        settings.car2go_consumer_key or "",
        settings.car2go_consumer_secret or "",
        settings.car2go_loc or "",
        client=client,
    )
    return Car2goBackend(api, currency=settings.currency, clock=clock)
