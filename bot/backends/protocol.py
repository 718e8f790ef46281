"""The one interface between the conversation and a booking platform.

Every backend (the built-in store, Launch27, Gazoop, ...) implements `BookingBackend`; flows only
speak to it through these types and errors. Times are timezone-aware UTC datetimes; money is in
minor units (pence, cents) so nothing is rounded on the way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Literal, Protocol, runtime_checkable

CURRENCY_SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "EUR "}


@dataclass(frozen=True, order=True)
class Money:
    minor: int
    currency: str = "GBP"

    def __str__(self) -> str:
        symbol = CURRENCY_SYMBOLS.get(self.currency, f"{self.currency} ")
        sign = "-" if self.minor < 0 else ""
        pounds, pence = divmod(abs(self.minor), 100)
        return f"{sign}{symbol}{pounds}.{pence:02d}"

    def __add__(self, other: Money) -> Money:
        return Money(self.minor + other.minor, self.currency)


class BookingStatus(StrEnum):
    BOOKED = "booked"
    WAITING = "waiting"
    """Accepted by the platform, not yet confirmed (e.g. a driver not yet assigned)."""
    EN_ROUTE = "en_route"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


OPEN_STATUSES = frozenset({BookingStatus.BOOKED, BookingStatus.WAITING, BookingStatus.EN_ROUTE})


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    phone: str | None = None
    email: str | None = None
    token: str | None = field(default=None, repr=False)
    """What the platform needs on every call, where it needs one: a session token (Launch27
    `bearer` / `single_access_token`, car2go's OAuth access token) or the secret itself (Gazoop's
    PIN). Sessions keep it encrypted (Fernet) and only for the session's life; never logged (and
    left out of the repr, so logging a Customer cannot leak it)."""
    token_secret: str | None = field(default=None, repr=False)
    """The second half of a token pair where the platform issues one (OAuth 1.0a token secret)."""
    tracking_id: str | None = None
    """The customer's id on the tracking platform (Foxtrot), where it differs from `id`."""


@dataclass(frozen=True)
class Booking:
    id: str
    status: BookingStatus
    start: datetime
    service: str
    address: str | None = None
    pickup: str | None = None
    dropoff: str | None = None
    price: Money | None = None
    frequency: str | None = None
    """Name of the repeat frequency ("Weekly"), None for a one-off."""
    series_id: str | None = None
    extras: tuple[str, ...] = ()
    details: tuple[tuple[str, str], ...] = ()
    """Platform details the list and the booking view show as "label: value" (vehicle plate,
    fuel level, "Bedrooms: 2"...), in the order given."""
    cancellable_while_listed: bool = False
    """The platform cancels an open booking whose start has passed, as long as it lists it
    (car2go: `start` is when the car was reserved; the reservation is current until used)."""
    headline: str | None = None
    """A short line a list shows after the booking's place, where the platform has more to
    say at a glance (car2go: the car's plate, fuel, engine and charging, or "no car yet")."""

    @property
    def recurring(self) -> bool:
        return self.series_id is not None

    def cancellable_at(self, now: datetime) -> bool:
        if self.status not in OPEN_STATUSES:
            return False
        return self.start > now or self.cancellable_while_listed

    def ahead_at(self, now: datetime) -> bool:
        """Still to come: open, and starting later (or current for as long as it is listed)."""
        return self.cancellable_at(now)


@dataclass(frozen=True)
class Extra:
    id: str
    name: str
    price: Money
    max_quantity: int = 10


@dataclass(frozen=True)
class PricingParameter:
    """A quantity the price depends on, asked for while booking (Launch27 "Bedrooms: 2")."""

    id: str
    name: str
    minimum: int = 0
    maximum: int = 10
    default: int | None = None
    price: Money | None = None
    """Price per unit where the platform states one."""


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    price: Money
    kind: Literal["address", "ride", "vehicle"] = "address"
    """`address`: done at one address (a clean); `ride`: from a pickup to a dropoff (a cab);
    `vehicle`: a free vehicle standing near the customer, reserved now (car2go): the customer
    says where they are, picks one of `VehicleSearch.vehicles_near` and no time is asked."""
    extras: tuple[Extra, ...] = ()
    duration_minutes: int = 60
    pricing_parameters: tuple[PricingParameter, ...] = ()


@dataclass(frozen=True)
class Frequency:
    id: str
    name: str
    interval_days: int | None = None
    """None for a one-off."""
    discount_percent: int = 0


@dataclass(frozen=True)
class BookingWindow:
    min_notice: timedelta = timedelta(hours=2)
    max_ahead: timedelta = timedelta(days=60)
    opens: time = time(7, 0)
    closes: time = time(20, 0)
    """Last start time of a day, local time of the business."""
    slot_minutes: int = 30


@dataclass(frozen=True)
class Catalogue:
    services: tuple[Service, ...]
    frequencies: tuple[Frequency, ...]
    window: BookingWindow = field(default_factory=BookingWindow)

    def service(self, service_id: str) -> Service | None:
        return next((s for s in self.services if s.id == service_id), None)

    def frequency(self, frequency_id: str) -> Frequency | None:
        return next((f for f in self.frequencies if f.id == frequency_id), None)


@dataclass(frozen=True)
class ServiceLine:
    """One more service in a booking: its extras and pricing parameters (id -> quantity)."""

    service_id: str
    extras: Mapping[str, int] = field(default_factory=dict)
    pricing: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class BookingRequest:
    """A complete booking as the customer asked for it (Launch27 "Create booking" in spirit)."""

    service_id: str
    start: datetime
    frequency_id: str | None = None
    extras: Mapping[str, int] = field(default_factory=dict)
    address: str | None = None
    city: str | None = None
    postcode: str | None = None
    pickup: str | None = None
    dropoff: str | None = None
    location: tuple[float, float] | None = None
    note: str | None = None
    pricing: Mapping[str, int] = field(default_factory=dict)
    """Pricing parameters of the first service: parameter id -> quantity."""
    additional: tuple[ServiceLine, ...] = ()
    """Services booked together with the first one (Launch27 takes several per booking)."""
    vehicle_id: str | None = None
    """The vehicle chosen from `VehicleSearch.vehicles_near` (car2go: its VIN)."""

    @property
    def service_lines(self) -> tuple[ServiceLine, ...]:
        """Every service of the request, the first one first."""
        first = ServiceLine(self.service_id, self.extras, self.pricing)
        return (first, *self.additional)


@dataclass(frozen=True)
class Quote:
    total: Money
    lines: tuple[tuple[str, Money], ...] = ()
    """What makes up the total: ("Standard clean", £60.00), ("Weekly discount", -£6.00)..."""


@dataclass(frozen=True)
class Cancellation:
    cancelled: tuple[Booking, ...]
    fee: Money | None = None
    late_fee: bool = True
    """`fee` is for cancelling late (Launch27, the built-in store); False: the platform charges
    it for cancelling as such (car2go's `cancelFee`), and the customer hears "a cancellation
    fee", not "a late fee"."""
    next_remaining: Booking | None = None
    """For a series: the next booking still on, or None when none remain."""


@dataclass(frozen=True)
class Vehicle:
    """A free vehicle the customer can reserve (car2go), as `VehicleSearch` finds it."""

    id: str
    name: str
    """What identifies it on the street: the number plate."""
    address: str | None = None
    location: tuple[float, float] | None = None
    """(latitude, longitude)."""
    distance_m: int | None = None
    """From the place searched near, where that place was a shared location."""
    details: tuple[tuple[str, str], ...] = ()
    """"label: value" lines (fuel level, engine type...), in the order given."""


@dataclass(frozen=True)
class Tracking:
    booking_id: str
    status: str
    eta: datetime | None = None
    stops_ahead: int | None = None
    waiting_seconds: int | None = None
    completed_at: datetime | None = None
    description: str | None = None
    """What is tracked, in the platform's words ("Delivery to 12 High St")."""
    location_confident: bool | None = None
    """False when the platform is not sure where the customer is (Foxtrot error 7001): the
    driver may have to call. None when the platform did not say."""


class Capability(StrEnum):
    LIST = "list"
    BOOK = "book"
    CANCEL = "cancel"
    TRACK = "track"


@dataclass(frozen=True)
class LoginMethod:
    """How a customer proves who they are on this platform.

    `secret`: an identifier (`phone` or `email`) and a secret (`pin`: 4-12 digits, or
    `password`), checked by `BookingBackend.login`. `link`: an authorisation link (OAuth 1.0a,
    car2go), through `LinkLogin`. Whatever the secret, the bot's own PIN lock-out applies on top
    of the platform's, and the message it was read from is deleted on Telegram.
    """

    kind: Literal["secret", "link"] = "secret"
    identifier: Literal["phone", "email"] = "phone"
    secret: Literal["pin", "password"] = "pin"


PIN_LOGIN = LoginMethod()
EMAIL_PASSWORD_LOGIN = LoginMethod(identifier="email", secret="password")
LINK_LOGIN = LoginMethod(kind="link")


@dataclass(frozen=True)
class Authorization:
    """An authorisation link sent to the customer, and the state needed to finish it."""

    url: str
    request_token: str
    request_secret: str = field(repr=False)


# --- errors -------------------------------------------------------------------------------------


class BackendError(Exception):
    """Base of everything a backend raises on purpose."""


class InvalidCredentials(BackendError):
    pass


class OneTimeCodeRequired(BackendError):
    """The account has a one-time code (Launch27 403): log in again with `one_time_code`."""


class AccountLocked(BackendError):
    """The platform itself paused logging in (Launch27: 5 wrong tries in a minute → 5 minutes)."""

    def __init__(self, message: str = "", minutes: int | None = None) -> None:
        super().__init__(message or "account locked")
        self.minutes = minutes


class LoginExpired(BackendError):
    """The platform no longer accepts this customer's token (401, revoked OAuth access):
    the customer logs in (or connects) again. Never an error shown as such."""


class BookingNotFound(BackendError):
    pass


class Rejected(BackendError):
    """The platform refused the request; `fields` maps a field name to what is wrong with it."""

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})


class NotCancellable(Rejected):
    """Past, completed or already cancelled."""


class BackendUnavailable(BackendError):
    """Timeouts, connection failures, 5xx, malformed answers: worth trying again later."""


class BackendBusy(BackendUnavailable):
    """The write could not even start in time (database locked, deadline passed): nothing
    happened, so the webhook answers 503 and the platform's retry runs the message again."""


class OutcomeUnknown(BackendUnavailable):
    """A write was sent but no answer came back: it may or may not have happened."""


class ConfirmationRequired(BackendError):
    """Cancelling needs the customer's explicit say-so (Launch27 answers 406 until confirmed).

    `reason` is `late` (a fee applies, `fee` says how much), `recurring` (the booking is one of
    a series: cancel this one, or this and all future ones) or `reason` (the business asks why:
    Launch27's `cancellation_reason_on`; cancel again with `reason=`).
    """

    def __init__(
        self,
        reason: Literal["late", "recurring", "reason"],
        booking: Booking,
        fee: Money | None = None,
        message: str = "",
    ) -> None:
        super().__init__(message or reason)
        self.reason = reason
        self.booking = booking
        self.fee = fee
        self.message = message


# --- the protocol -------------------------------------------------------------------------------


@runtime_checkable
class BookingBackend(Protocol):
    name: str
    login_method: LoginMethod
    capabilities: frozenset[Capability]
    history_limit: int | None
    """How many bookings the platform can list at most (Gazoop: the last 25); None: no limit."""

    def login(self, identifier: str, secret: str, one_time_code: str | None = None) -> Customer:
        """`identifier` is a phone number in international format without `+`, or an email.

        Raises InvalidCredentials, OneTimeCodeRequired, AccountLocked, BackendUnavailable.
        """
        ...

    def recent_bookings(self, customer: Customer, limit: int = 25) -> list[Booking]:
        """Newest first."""
        ...

    def booking(self, customer: Customer, booking_id: str) -> Booking: ...

    def catalogue(self) -> Catalogue: ...

    def quote(self, customer: Customer, request: BookingRequest) -> Quote: ...

    def create_booking(
        self, customer: Customer, request: BookingRequest, idempotency_key: str
    ) -> Booking:
        """Creating twice with the same key returns the first booking, creates nothing new."""
        ...

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
        """Cancel, or raise ConfirmationRequired.

        `late=True` is the customer's yes to a late cancellation and `confirm_fee` the fee that
        question showed (None where the platform named none, as Launch27's 406 does). A backend
        that knows the fee cancels late only when `confirm_fee` equals the fee that applies now.
        `recurring=True` confirms cancelling a booking of a series; `future=True` also cancels
        every later booking of that series.
        """
        ...

    def track(self, customer: Customer, booking_id: str) -> Tracking: ...

    def health(self) -> bool: ...

    def close(self) -> None: ...


@runtime_checkable
class LinkLogin(Protocol):
    """A backend whose `login_method.kind` is `link` (car2go's OAuth 1.0a) also has these."""

    def start_authorization(self, callback_url: str | None) -> Authorization:
        """A request token and the link the customer opens to grant access."""
        ...

    def finish_authorization(self, authorization: Authorization, verifier: str) -> Customer:
        """Exchange the verifier (typed by the customer, or from the callback) for access."""
        ...


@runtime_checkable
class VehicleSearch(Protocol):
    """A backend whose catalogue has a `vehicle` service (car2go) also has this."""

    def vehicles_near(self, near: str | tuple[float, float], limit: int = 5) -> list[Vehicle]:
        """Free vehicles nearest first: `near` is a shared (latitude, longitude) or an address
        as typed. An empty list when none is free there; raises BackendUnavailable."""
        ...


@runtime_checkable
class TrackingBackend(Protocol):
    """TRACK from another platform (`TRACKING_BACKEND=foxtrot`), composed with the booking one."""

    name: str

    def deliveries(self, customer: Customer) -> list[Tracking]:
        """The customer's current and recent deliveries, soonest first. Raises BookingNotFound
        when the platform knows none for this customer, BackendUnavailable, LoginExpired."""
        ...

    def health(self) -> bool: ...

    def close(self) -> None: ...
