"""Launch27's current customer API (API 2.1, https://bitbucket.org/awoo23/api-2.0/wiki/Home).

`POST /latest/login` {email, password[, token]} → `bearer`, sent as `Authorization: Bearer` on
`/latest/customer/...`. Bookings: `GET /customer/bookings` (from/to/limit/offset/sort),
`GET /customer/bookings/:id`, `POST /customer/bookings`, `POST /customer/bookings/:id/cancel`
with `confirmed_late`, `confirmed_fee`, `confirmed_recurring.cancel_future` and `reason`.

Decisions where the pages found are cut off or silent (the fake server does the same):
- No `X-API-Key`: the current API's examples send none; the bearer is the credential.
- Login: 401 and 422 (a malformed email or code) are wrong credentials. A 403 whose message
  names a token/OTP/code is OneTimeCodeRequired; any other 403 is the 5-minute lock-out.
  A wrong one-time code is answered 401 like a wrong password.
- A booking (the "Get booking for customer" page was not found) is read as
  {id, service_date, address: {address, city, zip}, active, completed, frequency: {id, name,
  interval}, services: [{id, name, extras: [{id, name, quantity}], pricing_parameters: [{id,
  name, quantity}]}], summary: {price (before tax), tax, total}, actions: {late_cancel,
  show_recurring_options}}. Inactive is cancelled. The series is the frequency: Launch27 keeps
  one booking of a series at a time and creates the next when one is cancelled or done.
- `GET /customer/bookings` answers a JSON array (or {"bookings": [...]}); 403 on a single
  booking ("no access") is BookingNotFound.
- Create answers {id, ...} (the derived OpenAPI): the booking is then read back. It is sent
  with `payment_method: "cash"` (paid on the day) and `arrival_window: 0`.
- Cancel: the late fee shown is computed from `GET /policy/cancellation` (`actions.late_cancel`
  decides whether it is late, where the booking says); late and fee, then recurring, then
  reason are asked in that order. A 422 naming `confirmed_late` or `confirmed_fee` (the fee
  changed on the platform meanwhile) asks again with the fee as it is now.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from bot.backends.launch27 import catalogue as cat
from bot.backends.launch27.base import Launch27Base, Listed, Parts, as_id
from bot.backends.launch27.http import PlatformError, message_of, rejection
from bot.backends.launch27.policy import CancellationPolicy, amount
from bot.backends.protocol import (
    AccountLocked,
    BackendError,
    Booking,
    BookingNotFound,
    BookingRequest,
    BookingStatus,
    Cancellation,
    Catalogue,
    ConfirmationRequired,
    Customer,
    InvalidCredentials,
    LoginExpired,
    Money,
    NotCancellable,
    OneTimeCodeRequired,
    Rejected,
)

LOCKOUT_MINUTES = 5


class Launch27CustomerBackend(Launch27Base):
    api = "customer"

    def _helper_headers(self, customer: Customer | None) -> dict[str, str]:
        if customer is None or not customer.token:
            return {}
        return {"Authorization": f"Bearer {customer.token}"}

    def _auth(self, customer: Customer) -> dict[str, str]:
        if not customer.token:
            raise LoginExpired("no Launch27 session")
        return {"Authorization": f"Bearer {customer.token}"}

    # --- login ----------------------------------------------------------------------------------

    def login(self, identifier: str, secret: str, one_time_code: str | None = None) -> Customer:
        body: dict[str, Any] = {"email": identifier.strip(), "password": secret}
        if one_time_code is not None:
            body["token"] = one_time_code.strip()
        try:
            answer = self.http.write("POST", "/latest/login", json=body, statuses=(401, 403, 422))
        except PlatformError as error:
            if error.status == 403:
                text = message_of(error.body)
                if any(word in text for word in ("otp", "token", "code", "2fa")):
                    raise OneTimeCodeRequired("Please send the 6-digit code.") from None
                raise AccountLocked(
                    "Too many tries: the account is locked for 5 minutes.", minutes=LOCKOUT_MINUTES
                ) from None
            raise InvalidCredentials("That email and password don't match.") from None
        cat.need(answer, dict, "a login answer")
        bearer = cat.need(answer.get("bearer"), str, "a bearer token")
        name = " ".join(
            str(answer.get(part) or "").strip() for part in ("first_name", "last_name")
        ).strip()
        return Customer(
            id=as_id(answer.get("id")),
            name=name or str(answer.get("email") or identifier),
            email=str(answer.get("email") or identifier),
            token=bearer,
        )

    # --- reads ----------------------------------------------------------------------------------

    def booking(self, customer: Customer, booking_id: str) -> Booking:
        return self._get(customer, booking_id)[0].booking

    def _get(self, customer: Customer, booking_id: str) -> tuple[Listed, dict]:
        if not str(booking_id).isdigit():
            raise BookingNotFound(f"Booking #{booking_id} was not found.")
        try:
            raw = self.http.read(
                "GET",
                f"/latest/customer/bookings/{booking_id}",
                headers=self._auth(customer),
                statuses=(403,),
            )
        except PlatformError:
            raise BookingNotFound(f"Booking #{booking_id} was not found.") from None
        return self._listed(raw), raw

    def _list(
        self, customer: Customer, start: date | None, end: date | None, limit: int
    ) -> list[Listed]:
        params: dict[str, Any] = {"sort": "desc"}
        if limit:
            params.update(limit=limit, offset=0)
        if start is not None and end is not None:
            params.update({"from": start.isoformat(), "to": end.isoformat()})
        body = self.http.read(
            "GET", "/latest/customer/bookings", params=params, headers=self._auth(customer)
        )
        if isinstance(body, dict) and "bookings" in body:
            body = body["bookings"]
        return [self._listed(raw) for raw in cat.need(body, list, "a booking list")]

    @cat.shaped("a booking")
    def _listed(self, raw: Any) -> Listed:
        cat.need(raw, dict, "a booking")
        parts = Parts()
        for service in cat.need(raw.get("services") or [], list, "booking services"):
            cat.need(service, dict, "a booking service")
            parts.service(service.get("id"), service.get("name"))
            for extra in service.get("extras") or []:
                parts.extra(
                    str(extra.get("name") or f"Extra {extra.get('id')}"), extra.get("quantity")
                )
            for parameter in service.get("pricing_parameters") or []:
                name = parameter.get("name") or f"Parameter {parameter.get('id')}"
                parts.parameter(str(name), parameter.get("quantity"))
        frequency = raw.get("frequency") if isinstance(raw.get("frequency"), dict) else {}
        recurring = cat.interval_days(frequency.get("interval")) is not None
        summary = raw.get("summary") if isinstance(raw.get("summary"), dict) else {}
        return parts.listed(
            raw,
            self.account(),
            place=raw.get("address") if isinstance(raw.get("address"), dict) else {},
            price=summary.get("total", summary.get("price")),
            frequency=str(frequency.get("name") or "Repeating") if recurring else None,
            frequency_id=frequency.get("id"),
        )

    # --- writes ---------------------------------------------------------------------------------

    def _create(self, customer: Customer, request: BookingRequest, catalogue: Catalogue) -> Booking:
        account = self.account()
        estimate = cat.estimate_body(request, catalogue, account)
        body: dict[str, Any] = {
            "address": (request.address or "").strip(),
            "city": request.city or None,
            "zip": request.postcode or None,
            "frequency_id": estimate["frequency_id"],
            "service_date": estimate["service_date"],
            "arrival_window": 0,
            "services": estimate["services"],
            "payment_method": "cash",
        }
        if customer.phone:
            body["phone"] = customer.phone
        if request.note:
            body["customer_notes"] = request.note
        answer = self.http.write(
            "POST",
            "/latest/customer/bookings",
            json=body,
            headers=self._auth(customer),
            reserve=2.5,
        )
        booking_id = as_id(cat.need(answer, dict, "a create answer").get("id"))
        return self.booking(customer, booking_id)

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
        listed, raw = self._get(customer, booking_id)
        booking = listed.booking
        now = self._now()
        if not booking.cancellable_at(now):
            raise NotCancellable(f"Booking #{booking.id} can't be cancelled now.")
        policy = CancellationPolicy.from_json(
            self.http.read("GET", "/latest/policy/cancellation", headers=self._auth(customer))
        )
        fee = self._late_fee(raw, booking, policy)
        if fee is not None and confirm_fee != fee:
            raise ConfirmationRequired(
                "late", booking, fee=fee, message=f"A late cancellation fee of {fee} applies."
            )
        if booking.recurring and not (recurring or future):
            raise ConfirmationRequired(
                "recurring",
                booking,
                message=f"Booking #{booking.id} is one of a {booking.frequency or 'repeat'} series.",
            )
        if policy.reason_required and not (reason and reason.strip()):
            raise ConfirmationRequired(
                "reason", booking, message="Please say why you are cancelling."
            )
        body: dict[str, Any] = {"confirmed_late": fee is not None}
        if fee is not None:
            body["confirmed_fee"] = amount(fee)
        if booking.recurring:
            body["confirmed_recurring"] = {"cancel_future": future}
        if reason and reason.strip():
            body["reason"] = reason.strip()
        try:
            self.http.write(
                "POST",
                f"/latest/customer/bookings/{booking.id}/cancel",
                json=body,
                headers=self._auth(customer),
                statuses=(422,),
            )
        except PlatformError as error:
            message, fields = rejection(error.body)
            if fields.keys() & {"confirmed_late", "confirmed_fee"}:
                # The platform's fee moved between our reading of the policy and the cancel:
                # ask again with the fee as the platform now has it.
                raise self._late_again(customer, booking.id) from None
            if "confirmed_recurring" in fields:
                raise ConfirmationRequired("recurring", booking) from None
            if "reason" in fields:
                raise ConfirmationRequired("reason", booking) from None
            raise Rejected(message, fields) from None
        cancelled = replace(booking, status=BookingStatus.CANCELLED)
        return Cancellation(
            cancelled=(cancelled,),
            fee=fee,
            next_remaining=None if future else self._next_of(customer, listed),
        )

    def _late_again(self, customer: Customer, booking_id: str) -> BackendError:
        listed, raw = self._get(customer, booking_id)
        policy = CancellationPolicy.from_json(
            self.http.read("GET", "/latest/policy/cancellation", headers=self._auth(customer))
        )
        fee = self._late_fee(raw, listed.booking, policy)
        message = f"A late cancellation fee of {fee} applies." if fee else ""
        return ConfirmationRequired("late", listed.booking, fee=fee, message=message)

    def _late_fee(self, raw: dict, booking: Booking, policy: CancellationPolicy) -> Money | None:
        actions = raw.get("actions") if isinstance(raw.get("actions"), dict) else {}
        late = actions.get("late_cancel")
        if not isinstance(late, bool):
            late = policy.is_late(booking.start, self._now(), self.account().tz)
        if not late:
            return None
        summary = raw.get("summary") if isinstance(raw.get("summary"), dict) else {}
        before_tax = summary.get("price", summary.get("total"))
        account = self.account()
        return policy.fee(account.money(before_tax if before_tax is not None else 0))
