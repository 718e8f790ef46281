"""Launch27's legacy API 2.0 (the deprecated pages, platform-docs 003/004).

`POST /api/auth` {"auth": {email, password}} → `single_access_token`; then every call sends
`X-API-Key`, `X-Authentication: email:token` and `Accept: application/launch27.v2`.
`GET /api/bookings` (from/to as YYYY-MM-DD in the business's time zone), `GET /api/bookings/:id`,
`POST /api/bookings` {"booking": {...}}, `DELETE /api/bookings/:id` answering 406 until
`cancel_late=true` / `cancel_recurring=true`, with `cancel_future=true` for the rest of a series.

Decisions where the pages are silent (the fake server does the same):
- A legacy booking names no service, extra or frequency: names come from the public booking
  helpers (/latest/booking/services, /latest/booking/frequencies), as do the catalogue and
  quotes; a frequency whose interval is not "o" makes the booking part of a series.
- The list asks for a year either side of today (without from/to the API leaves out the past),
  and sorts newest first itself (the page states no order).
- The 406 names no fee, so the late question carries none (`fee=None`) and says, in the
  business's name from GET /settings, that a late-cancellation fee may apply. Which
  confirmation a 406 wants is read from its body (`cancel_late` / `cancel_recurring` named
  there); a body naming neither means recurring for a booking of a series not yet confirmed,
  else late.
- 401 on any call but /api/auth means the token is no longer good: LoginExpired. 403 on
  /api/auth is the account being locked (minutes not stated).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.backends.launch27 import catalogue as cat
from bot.backends.launch27.base import Launch27Base, Listed, Parts, as_id
from bot.backends.launch27.http import PlatformError, message_of
from bot.backends.protocol import (
    AccountLocked,
    Booking,
    BookingNotFound,
    BookingRequest,
    Cancellation,
    Catalogue,
    ConfirmationRequired,
    Customer,
    InvalidCredentials,
    LoginExpired,
    Money,
    NotCancellable,
)

ACCEPT = "application/launch27.v2"
HISTORY = timedelta(days=365)


class Launch27LegacyBackend(Launch27Base):
    api = "legacy"

    def _base_headers(self) -> dict[str, str]:
        headers = {"Accept": ACCEPT}
        if self.api_key:
            headers["X-API-Key"] = self.api_key
        return headers

    def _auth(self, customer: Customer) -> dict[str, str]:
        if not customer.token or not customer.email:
            raise LoginExpired("no Launch27 session")
        return {"X-Authentication": f"{customer.email}:{customer.token}"}

    def login(self, identifier: str, secret: str, one_time_code: str | None = None) -> Customer:
        body = {"auth": {"email": identifier.strip(), "password": secret}}
        try:
            answer = self.http.write("POST", "/api/auth", json=body, statuses=(401, 403, 422))
        except PlatformError as error:
            if error.status == 403:
                raise AccountLocked("Too many tries: the account is locked for now.") from None
            raise InvalidCredentials("That email and password don't match.") from None
        user = cat.need(cat.need(answer, dict, "an auth answer").get("user"), dict, "a user")
        token = cat.need(user.get("single_access_token"), str, "an access token")
        name = " ".join(
            str(user.get(part) or "").strip() for part in ("first_name", "last_name")
        ).strip()
        email = str(user.get("email") or identifier.strip())
        return Customer(id=as_id(user.get("id")), name=name or email, email=email, token=token)

    # --- reads ----------------------------------------------------------------------------------

    def booking(self, customer: Customer, booking_id: str) -> Booking:
        return self._get(customer, booking_id).booking

    def _get(self, customer: Customer, booking_id: str) -> Listed:
        if not str(booking_id).isdigit():
            raise BookingNotFound(f"Booking #{booking_id} was not found.")
        try:
            body = self.http.read(
                "GET", f"/api/bookings/{booking_id}", headers=self._auth(customer), statuses=(403,)
            )
        except PlatformError:
            raise BookingNotFound(f"Booking #{booking_id} was not found.") from None
        return self._listed(cat.need(body, dict, "a booking answer").get("booking"))

    def _list(
        self, customer: Customer, start: date | None, end: date | None, limit: int
    ) -> list[Listed]:
        if start is None or end is None:
            today = self._now().astimezone(self.account().tz).date()
            start, end = today - HISTORY, today + HISTORY
        body = self.http.read(
            "GET",
            "/api/bookings",
            params={"from": start.isoformat(), "to": end.isoformat()},
            headers=self._auth(customer),
        )
        bookings = cat.need(
            cat.need(body, dict, "a booking list").get("bookings"), list, "bookings"
        )
        return [self._listed(raw) for raw in bookings]

    @cat.shaped("a booking")
    def _listed(self, raw: Any) -> Listed:
        cat.need(raw, dict, "a booking")
        catalogue = self.catalogue()
        parts = Parts()
        for line in cat.need(raw.get("services") or [], list, "booking services"):
            cat.need(line, dict, "a booking service")
            service = catalogue.service(str(line.get("id")))
            parts.service(line.get("id"), service.name if service else None)
            extras = {e.id: e.name for e in service.extras} if service else {}
            parameters = {p.id: p.name for p in service.pricing_parameters} if service else {}
            for extra in line.get("extras") or []:
                key = str(extra.get("extra_id"))
                parts.extra(extras.get(key, f"Extra {key}"), extra.get("quantity"))
            for parameter in line.get("pricing_parameters") or []:
                key = str(parameter.get("pricing_parameter_id"))
                parts.parameter(parameters.get(key, key), parameter.get("quantity"))
        frequency = catalogue.frequency(str(raw.get("frequency_id")))
        recurring = frequency is not None and frequency.interval_days is not None
        return parts.listed(
            raw,
            self.account(),
            place=raw,
            price=raw.get("final_price", raw.get("price")),
            frequency=frequency.name if recurring and frequency else None,
            frequency_id=raw.get("frequency_id"),
        )

    # --- writes ---------------------------------------------------------------------------------

    def _create(self, customer: Customer, request: BookingRequest, catalogue: Catalogue) -> Booking:
        account = self.account()
        estimate = cat.estimate_body(request, catalogue, account)
        booking: dict[str, Any] = {
            "service_date": account.service_date(request.start, seconds=False),
            "services": [
                {
                    "id": line["id"],
                    "extras": [
                        {"extra_id": e["id"], "quantity": e["quantity"]} for e in line["extras"]
                    ],
                    "pricing_parameters": [
                        {"pricing_parameter_id": p["id"], "quantity": p["quantity"]}
                        for p in line["pricing_parameters"]
                    ],
                }
                for line in estimate["services"]
            ],
            "flexibility": 0,
            "address": (request.address or "").strip(),
            "city": request.city,
            "zip": request.postcode,
            "payment_method": "cash",
            "customer_comments": request.note,
            "sms_notifications": False,
            "frequency_id": estimate["frequency_id"],
        }
        if customer.phone:
            booking["phone"] = customer.phone
        answer = self.http.write(
            "POST",
            "/api/bookings",
            json={"booking": booking},
            headers=self._auth(customer),
            reserve=2.5,
        )
        return self._listed(cat.need(answer, dict, "a create answer").get("booking")).booking

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
        current = self._get(customer, booking_id)
        booking = current.booking
        if not booking.cancellable_at(self._now()):
            raise NotCancellable(f"Booking #{booking.id} can't be cancelled now.")
        params = {
            name: "true"
            for name, on in (
                ("cancel_late", late),
                ("cancel_recurring", recurring or future),
                ("cancel_future", future),
            )
            if on
        }
        try:
            answer = self.http.write(
                "DELETE",
                f"/api/bookings/{booking.id}",
                params=params,
                headers=self._auth(customer),
                statuses=(406,),
            )
        except PlatformError as error:
            raise self._question(error.body, booking, params) from None
        cancelled = self._listed(cat.need(answer, dict, "a cancel answer").get("booking")).booking
        return Cancellation(
            cancelled=(cancelled,),
            fee=None,
            next_remaining=None if future else self._next_of(customer, current),
        )

    def _question(self, body: Any, booking: Booking, sent: dict[str, str]) -> ConfirmationRequired:
        text = message_of(body)
        wants_recurring = "cancel_recurring" in text or (
            "cancel_late" not in text and booking.recurring and "cancel_recurring" not in sent
        )
        if wants_recurring:
            return ConfirmationRequired(
                "recurring",
                booking,
                message=f"Booking #{booking.id} is one of a {booking.frequency or 'repeat'} series.",
            )
        business = self.account().name or self.settings.business_name
        return ConfirmationRequired(
            "late",
            booking,
            fee=None,
            message=f"{business}'s cancellation policy may charge a late cancellation fee.",
        )
