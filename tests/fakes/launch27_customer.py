"""The fake's current API (API 2.1) under /latest: login, booking helpers, policies, customer
bookings. Shapes the wiki leaves out follow bot/backends/launch27/customer.py's docstring."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.fakes.launch27_server import (
    FREQUENCIES,
    SERVICES,
    Account,
    Booking,
    Launch27Platform,
    Reply,
    Request,
    Route,
    drop_answer_if_asked,
    lines_from,
    money,
    route,
)

CUSTOMER_DATE = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}"
CREATE_FIELDS = {
    "location_id", "original_booking_id", "address", "city", "state", "zip", "phone",
    "sms_notifications", "frequency_id", "service_date", "arrival_window", "services",
    "discount_code", "tip", "tip_recurring", "payment_method", "customer_notes", "custom_fields",
}  # fmt: skip
CREATE_REQUIRED = {"address", "frequency_id", "service_date", "arrival_window", "services",
                   "payment_method"}  # fmt: skip
ESTIMATE_FIELDS = {
    "email", "booking_uuid", "original_booking_id", "service_date", "location_id",
    "frequency_id", "services", "discount_code", "tip", "tip_recurring",
}  # fmt: skip
CANCEL_FIELDS = {"confirmed_late", "confirmed_fee", "confirmed_recurring", "reason"}


def routes(platform: Launch27Platform) -> list[Route]:
    def customer(request: Request) -> Account:
        header = request.headers.get("Authorization") or ""
        if not header.startswith("Bearer "):
            raise Reply(401, {"error": "Unauthorized"})
        account = platform.by_bearer(header.removeprefix("Bearer ").strip())
        if account is None:
            raise Reply(401, {"error": "Unauthorized"})
        return account

    def login(request: Request) -> Any:
        body = request.json_object({"email", "password", "token"}, {"email", "password"})
        email, password, token = body["email"], body["password"], body.get("token")
        if not isinstance(email, str) or "@" not in email or not isinstance(password, str):
            raise Reply(422, {"errors": {"email": ["is not an email"]}})
        if token is not None and (
            not isinstance(token, str) or not token.isdigit() or len(token) != 6
        ):
            raise Reply(422, {"errors": {"token": ["must be 6 digits"]}})
        status, answer = platform.check_password(email, password, token)
        if status != 200:
            raise Reply(status, answer)
        bearer = "eyJ." + platform.token()
        answer.bearers.add(bearer)
        return {
            "id": answer.id,
            "email": answer.email,
            "type": "Tenant::Customer",
            "first_name": answer.first_name,
            "last_name": answer.last_name,
            "bearer": bearer,
        }

    def booking_json(booking: Booking) -> dict[str, Any]:
        frequency = platform.frequency(booking.frequency_id) or FREQUENCIES[0]
        services = []
        for line in booking.services:
            service = platform.service(line["id"]) or {"name": "?", "extras": [],
                                                       "pricing_parameters": []}  # fmt: skip
            extra_names = {e["id"]: e["name"] for e in service["extras"]}
            param_names = {p["id"]: p["name"] for p in service["pricing_parameters"]}
            services.append(
                {
                    "id": line["id"],
                    "name": service["name"],
                    "extras": [
                        {"id": k, "name": extra_names.get(k), "quantity": q}
                        for k, q in line["extras"].items()
                    ],
                    "pricing_parameters": [
                        {"id": k, "name": param_names.get(k), "quantity": q}
                        for k, q in line["pricing_parameters"].items()
                    ],
                }
            )
        _, _, _, before_tax, tax, total = platform.prices(booking.services, booking.frequency_id)
        open_ = booking.active and not booking.completed and booking.start > platform.local_now()
        return {
            "id": booking.id,
            "digest": f"d{booking.id:08x}",
            "service_date": booking.start.strftime("%Y-%m-%dT%H:%M:%S"),
            "arrival_window": 0,
            "address": {
                "address": booking.address,
                "city": booking.city,
                "state": None,
                "zip": booking.zip,
            },
            "active": booking.active,
            "completed": booking.completed,
            "frequency": {k: frequency[k] for k in ("id", "name", "interval")},
            "services": services,
            "summary": {"price": money(before_tax), "tax": money(tax), "total": money(total)},
            "actions": {
                "cancel": open_,
                "late_cancel": open_ and platform.late_fee(booking) is not None,
                "show_recurring_options": open_ and platform.recurring(booking),
            },
        }

    def list_bookings(request: Request) -> Any:
        account = customer(request)
        query = request.query
        found = [b for b in platform.bookings_of(account) if b.active]
        if "from" in query:
            found = [b for b in found if b.start.date().isoformat() >= query["from"]]
        if "to" in query:
            found = [b for b in found if b.start.date().isoformat() <= query["to"]]
        found.sort(key=lambda b: (b.start, b.id), reverse=query.get("sort", "desc") != "asc")
        limit, offset = int(query.get("limit") or 0), int(query.get("offset") or 0)
        if limit:
            found = found[offset : offset + limit]
        return [booking_json(b) for b in found]

    def owned(request: Request, booking_id: str) -> Booking:
        account = customer(request)
        booking = platform.bookings.get(int(booking_id))
        if booking is None:
            raise Reply(404, {"error": "Not found"})
        if booking.user_id != account.id:
            raise Reply(403, {"error": "Customer has no access to booking"})
        return booking

    def get_booking(request: Request, booking_id: str) -> Any:
        return booking_json(owned(request, booking_id))

    def create(request: Request) -> Any:
        account = customer(request)
        body = request.json_object(CREATE_FIELDS, CREATE_REQUIRED)
        lines = lines_from(body["services"], "id", "id")
        errors = platform.validate_request(
            lines, body["frequency_id"], body["service_date"], CUSTOMER_DATE
        )
        if not isinstance(body["address"], str) or not body["address"].strip():
            errors["address"] = ["can't be blank"]
        if body["payment_method"] not in ("stripe", "paypal", "cash", "check"):
            errors["payment_method"] = ["is not a payment method"]
        if errors:
            raise Reply(422, {"errors": errors})
        booking = platform.add_booking(
            account,
            datetime.fromisoformat(body["service_date"]),
            services=lines,
            frequency_id=body["frequency_id"],
            address=body["address"],
            city=body.get("city"),
            zip=body.get("zip"),
            phone=body.get("phone"),
            notes=body.get("customer_notes"),
        )
        drop_answer_if_asked(platform)
        return {"id": booking.id, "ga_transaction": {}, "ga_item": {}}

    def cancel(request: Request, booking_id: str) -> Any:
        booking = owned(request, booking_id)
        body = request.json_object(CANCEL_FIELDS)
        if platform.knobs.before_cancel is not None:
            platform.knobs.before_cancel()
        platform.cancel_bodies.append(body)
        if not booking.active or booking.completed or booking.start <= platform.local_now():
            raise Reply(422, {"errors": {"base": ["booking can't be cancelled"]}})
        errors: dict[str, list[str]] = {}
        fee = platform.late_fee(booking)
        if fee is not None:
            if body.get("confirmed_late") is not True:
                errors["confirmed_late"] = ["is required for a late cancellation"]
            elif body.get("confirmed_fee") is not None and money(fee) != body["confirmed_fee"]:
                errors["confirmed_fee"] = [f"does not match the late cancellation fee {money(fee)}"]
        elif body.get("confirmed_fee") is not None:
            errors["confirmed_fee"] = ["only may present for late cancellation"]
        recurring = body.get("confirmed_recurring")
        if platform.recurring(booking) and not isinstance(recurring, dict):
            errors["confirmed_recurring"] = ["is required for a recurring booking"]
        if isinstance(recurring, dict) and not isinstance(recurring.get("cancel_future"), bool):
            errors["confirmed_recurring"] = ["cancel_future is required"]
        if platform.cancellation_policy.get("cancellation_reason_on") and not body.get("reason"):
            errors["reason"] = ["is required"]
        if errors:
            raise Reply(422, {"errors": errors})
        platform.cancel(booking, future=bool(recurring and recurring["cancel_future"]))
        return booking_json(booking)

    def estimate(request: Request) -> Any:
        if request.headers.get("Authorization"):
            customer(request)
        body = request.json_object(ESTIMATE_FIELDS, {"service_date", "frequency_id", "services"})
        lines = lines_from(body["services"], "id", "id")
        errors = platform.validate_request(
            lines, body["frequency_id"], body["service_date"], CUSTOMER_DATE
        )
        if "too soon" in str(errors.get("service_date")):
            del errors["service_date"]  # an estimate is only a price
        if errors:
            raise Reply(422, {"errors": errors})
        base, extras, discount, _, tax, total = platform.prices(lines, body["frequency_id"])
        return {
            "services": money(base),
            "extras": money(extras),
            "discount_amount": money(discount),
            "tax": {"name": "VAT", "percent": 10.0, "amount": money(tax)},
            "total": money(total),
        }

    def cancellation_policy(request: Request) -> Any:
        customer(request)
        return dict(platform.cancellation_policy)

    return [
        route("POST", "/latest/login", login),
        route("GET", "/latest/settings", lambda request: dict(platform.settings)),
        route("GET", "/latest/booking/services", lambda request: SERVICES),
        route("GET", "/latest/booking/frequencies", lambda request: FREQUENCIES),
        route("POST", "/latest/booking/estimate_price", estimate),
        route("GET", "/latest/policy/booking", lambda request: dict(platform.booking_policy)),
        route("GET", "/latest/policy/cancellation", cancellation_policy),
        route("GET", "/latest/customer/bookings", list_bookings),
        route("POST", "/latest/customer/bookings", create),
        route("GET", r"/latest/customer/bookings/(\d+)", get_booking),
        route("POST", r"/latest/customer/bookings/(\d+)/cancel", cancel),
    ]
