"""Gazoop (iWebCab) customer API: a customer's last 25 rides by phone number and PIN.

platform-docs/000: `POST /customer_bookings.json` with `username` (phone number in international
format without `+` or `00`) and `password` (the PIN, 4-12 digits) answers an object keyed by booking
id, plus `api_log_id`, or 400 `{"result": "invalid"}`. There is no session: the PIN goes with every
call, so `login` puts it in `Customer.token`, which sessions keep encrypted for their life only.

Where the documentation is silent, this adapter decides (and tests/fakes/gazoop_server.py does the
same):
- The body is sent form-encoded (readme.io "Body Params"); the fake accepts JSON as well.
- Status letters: the example shows only `V` and `W`. See `STATUSES`; a letter not listed there
  is shown as booked, with "Gazoop status: <letter>" in the details, and logged.
- `time` ("28th April at 12:21") has no year: it is the latest such moment no more than
  `YEAR_HORIZON` (60 days) after now, read on the business's clock (`Settings.timezone`). A
  local time skipped by a clock change is read with the offset before the change.
- An account without bookings may answer `[]` (PHP's empty array) or just `api_log_id`.
- Values of the answer that are not objects (`api_log_id`) are not bookings and are skipped; a
  booking without a readable `status` or `time`, or an answer that is not an object, is a
  malformed answer (BackendUnavailable), as are 5xx, timeouts and non-JSON bodies.
- The login request changes nothing on the platform, so it is retried like any read.
- 400 "invalid" at login is a wrong PIN; on a later call (the PIN was changed meanwhile) it is an
  expired login: the customer is asked for the PIN again.
"""

from __future__ import annotations

import calendar
import logging
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import httpx

from bot.backends.platform_http import PlatformHttp
from bot.backends.protocol import (
    PIN_LOGIN,
    BackendUnavailable,
    Booking,
    BookingNotFound,
    BookingStatus,
    Capability,
    Customer,
    InvalidCredentials,
    LoginExpired,
    LoginMethod,
    Tracking,
)

log = logging.getLogger(__name__)

PATH = "/customer_bookings.json"
HISTORY_LIMIT = 25
""""Currently this tool is limited to the last 25 bookings on the customers account." (000)"""
YEAR_HORIZON = timedelta(days=60)
"""How far ahead a yearless time may lie: rides are booked at most this far ahead."""
SERVICE_NAME = "Ride"

STATUSES: dict[str, BookingStatus] = {
    "W": BookingStatus.WAITING,  # waiting: received, no driver assigned yet
    "V": BookingStatus.BOOKED,  # verified: accepted and confirmed
    "A": BookingStatus.BOOKED,  # allocated: a driver is assigned
    "D": BookingStatus.EN_ROUTE,  # dispatched: the driver is on the way
    "P": BookingStatus.IN_PROGRESS,  # passenger on board
    "C": BookingStatus.COMPLETED,  # completed
    "X": BookingStatus.CANCELLED,  # cancelled
    "N": BookingStatus.CANCELLED,  # no show
}

_MONTHS = {
    **{name.lower(): number for number, name in enumerate(calendar.month_name) if name},
    **{name.lower(): number for number, name in enumerate(calendar.month_abbr) if name},
    "sept": 9,
}
_TIME = re.compile(
    r"^\s*(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?P<month>[a-z]+)\.?,?\s+(?:at\s+)?"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*$",
    re.IGNORECASE,
)


def infer_start(
    text: str, now: datetime, tz: ZoneInfo, horizon: timedelta = YEAR_HORIZON
) -> datetime:
    """The UTC moment of a yearless Gazoop time ("2nd May at 22:58"): the latest one at most
    `horizon` after `now`. Raises ValueError when `text` is not such a time."""
    match = _TIME.match(text or "")
    month = _MONTHS.get(match["month"].lower()) if match else None
    if not match or month is None:
        raise ValueError(f"not a Gazoop time: {text!r}")
    day, hour, minute = int(match["day"]), int(match["hour"]), int(match["minute"])
    latest = now + horizon
    latest_year = latest.astimezone(tz).year
    # 29th February comes round every 4 years (8 across a skipped leap year such as 2100).
    for year in range(latest_year, latest_year - 9, -1):
        try:
            local = datetime(year, month, day, hour, minute, tzinfo=tz)
        except ValueError:
            continue
        if local <= latest:
            return local.astimezone(UTC)
    raise ValueError(f"not a Gazoop time: {text!r}")


def gazoop_username(identifier: str) -> str | None:
    """International digits without `+` or `00`, or None if `identifier` is not a phone number."""
    digits = identifier.strip().removeprefix("+")
    if digits.startswith("00"):
        digits = digits[2:]
    return digits if digits.isascii() and digits.isdigit() else None


def gazoop_pin(secret: str) -> str | None:
    """The PIN as ASCII digits (customers may type any script's digits), or None if it cannot
    be a PIN (4-12 digits)."""
    secret = secret.strip()
    if not 4 <= len(secret) <= 12 or not all(ch.isdecimal() for ch in secret):
        return None
    return "".join(str(unicodedata.decimal(ch)) for ch in secret)


class GazoopBackend:
    name: str = "gazoop"
    login_method: LoginMethod = PIN_LOGIN
    history_limit: int | None = HISTORY_LIMIT
    capabilities: frozenset[Capability] = frozenset({Capability.LIST})

    def __init__(
        self,
        base_url: str,
        *,
        tz: ZoneInfo,
        clock: Callable[[], datetime] | None = None,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = PlatformHttp(
            "Gazoop",
            base_url,
            client=client,
            transport=transport,
            headers={"Accept": "application/json"},
        )
        self._tz = tz
        self._clock = clock or (lambda: datetime.now(UTC))

    def login(self, identifier: str, secret: str, one_time_code: str | None = None) -> Customer:
        username, pin = gazoop_username(identifier), gazoop_pin(secret)
        if username is None or pin is None:
            raise InvalidCredentials("not a phone number and PIN")
        customer = Customer(id=username, name="", phone=username, token=pin)
        self._bookings(customer, at_login=True)
        return customer

    def recent_bookings(self, customer: Customer, limit: int = HISTORY_LIMIT) -> list[Booking]:
        return self._bookings(customer)[: max(0, min(limit, HISTORY_LIMIT))]

    def booking(self, customer: Customer, booking_id: str) -> Booking:
        wanted = booking_id.strip().lstrip("#")
        for booking in self._bookings(customer):
            if booking.id == wanted:
                return booking
        raise BookingNotFound(booking_id)

    def health(self) -> bool:
        """Gazoop has no status call: an unknown account's login answering 400 "invalid" shows
        the API is up, without touching any customer's account."""
        try:
            response = self._http.read("POST", PATH, data={"username": "0", "password": "0000"})
            body = self._http.json(response)
        except BackendUnavailable:
            return False
        return response.status_code in (200, 400) and isinstance(body, dict)

    def close(self) -> None:
        self._http.close()

    # --- what Gazoop's customer API cannot do -----------------------------------------------------

    def catalogue(self) -> NoReturn:
        _unsupported("booking")

    def quote(self, *args: Any, **kwargs: Any) -> NoReturn:
        _unsupported("booking")

    def create_booking(self, *args: Any, **kwargs: Any) -> NoReturn:
        _unsupported("booking")

    def cancel_booking(self, *args: Any, **kwargs: Any) -> NoReturn:
        _unsupported("cancelling")

    def track(self, customer: Customer, booking_id: str) -> Tracking:
        _unsupported("tracking (compose a TRACKING_BACKEND)")

    # --- plumbing ---------------------------------------------------------------------------------

    def _bookings(self, customer: Customer, at_login: bool = False) -> list[Booking]:
        if not customer.token:
            raise LoginExpired("the PIN is no longer kept for this customer")
        response = self._http.read(
            "POST", PATH, data={"username": customer.id, "password": customer.token}
        )
        body = self._http.json(response)
        if _invalid(body) and response.status_code in (200, 400):
            if at_login:
                raise InvalidCredentials("wrong phone number or PIN")
            raise LoginExpired("Gazoop no longer accepts this PIN")
        if response.status_code != 200:
            log.warning("Gazoop answered %d to %s", response.status_code, PATH)
            raise BackendUnavailable(f"Gazoop answered {response.status_code}")
        return self._read_bookings(body)

    def _read_bookings(self, body: Any) -> list[Booking]:
        if body == []:
            return []  # PHP's json_encode of an empty array: an account without bookings
        if not isinstance(body, dict):
            _malformed("the answer is not an object")
        now = self._clock()
        bookings = []
        for booking_id, entry in body.items():
            if not isinstance(entry, dict):
                continue  # api_log_id and any other metadata: not bookings
            bookings.append(self._read_booking(str(booking_id), entry, now))
        bookings.sort(key=lambda b: (b.start, _numeric(b.id)), reverse=True)
        return bookings

    def _read_booking(self, booking_id: str, entry: dict[str, Any], now: datetime) -> Booking:
        letter, when = entry.get("status"), entry.get("time")
        if not isinstance(letter, str) or not isinstance(when, str):
            _malformed(f"booking {booking_id} has no status or time")
        try:
            start = infer_start(when, now, self._tz)
        except ValueError:
            _malformed(f"booking {booking_id} has an unreadable time")
        status = STATUSES.get(letter.strip().upper())
        details: tuple[tuple[str, str], ...] = ()
        if status is None:
            log.warning("Gazoop status letter %r is not known: shown as booked", letter)
            status, details = BookingStatus.BOOKED, (("Gazoop status", letter),)
        return Booking(
            id=booking_id,
            status=status,
            start=start,
            service=SERVICE_NAME,
            pickup=_text(entry.get("pickup")),
            dropoff=_text(entry.get("dropoff")),
            details=details,
        )


def _invalid(body: Any) -> bool:
    return isinstance(body, dict) and body.get("result") == "invalid"


def _text(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _numeric(booking_id: str) -> tuple[int, str]:
    return (int(booking_id), "") if booking_id.isdigit() else (-1, booking_id)


def _malformed(what: str) -> NoReturn:
    log.warning("Gazoop answer is malformed: %s", what)
    raise BackendUnavailable(f"Gazoop answer is malformed: {what}")


def _unsupported(what: str) -> NoReturn:
    raise NotImplementedError(f"Gazoop's customer API does not offer {what}; capabilities: list")
