"""The fake's legacy API 2.0 under /api (platform-docs 003/004 and the deprecated wiki pages):
`X-API-Key` on every call, `X-Authentication: email:token` and `Accept: application/launch27.v2`
on booking calls, 406 on DELETE until cancel_late / cancel_recurring are given."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from tests.fakes.launch27_server import (
    Account,
    Booking,
    Launch27Platform,
    Reply,
    Request,
    Route,
    drop_answer_if_asked,
    lines_from,
    route,
)

ACCEPT = "application/launch27.v2"
LEGACY_DATE = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"
BOOKING_FIELDS = {
    "service_date", "services", "flexibility", "address", "city", "state", "zip", "phone",
    "payment_method", "discount_code", "customer_comments", "sms_notifications", "frequency_id",
    "custom_fields",
}  # fmt: skip


def routes(platform: Launch27Platform, api_key: str) -> list[Route]:
    def api_key_checked(request: Request) -> None:
        if request.headers.get("X-API-Key") != api_key:
            raise Reply(401, {"error": "Invalid API key"})

    def customer(request: Request) -> Account:
        api_key_checked(request)
        if request.headers.get("Accept") != ACCEPT:
            raise Reply(400, {"error": f"Accept: {ACCEPT} is required"})
        email, _, token = (request.headers.get("X-Authentication") or "").partition(":")
        account = platform.by_access(email, token)
        if account is None:
            raise Reply(401, {"error": "Invalid authentication"})
        return account

    def auth(request: Request) -> Any:
        api_key_checked(request)
        body = request.json_object({"auth"}, {"auth"})
        credentials = body["auth"]
        if not isinstance(credentials, dict) or set(credentials) - {"email", "password"}:
            raise Reply(422, {"errors": {"auth": ["must have email and password"]}})
        status, answer = platform.check_password(
            str(credentials.get("email") or ""), str(credentials.get("password") or ""), None
        )
        if status == 403 and "OTP" in str(answer):
            status, answer = 401, {"error": "Invalid email or password"}
        if status != 200:
            raise Reply(status, answer)
        if answer.otp is not None:  # API 2.0 predates one-time codes: such accounts can't use it
            raise Reply(401, {"error": "Invalid email or password"})
        answer.access_token = answer.access_token or platform.token()
        return {
            "user": {
                "id": answer.id,
                "email": answer.email,
                "single_access_token": answer.access_token,
                "first_name": answer.first_name,
                "last_name": answer.last_name,
            }
        }

    def booking_json(booking: Booking) -> dict[str, Any]:
        _, _, _, before_tax, _, total = platform.prices(booking.services, booking.frequency_id)
        return {
            "id": booking.id,
            "user_id": booking.user_id,
            "service_date": booking.start.strftime("%Y-%m-%dT%H:%M"),
            "services": [
                {
                    "id": line["id"],
                    "extras": [{"extra_id": k, "quantity": q} for k, q in line["extras"].items()],
                    "pricing_parameters": [
                        {"pricing_parameter_id": k, "quantity": q}
                        for k, q in line["pricing_parameters"].items()
                    ],
                    "service_maids": 1,
                    "service_minutes": 120,
                }
                for line in booking.services
            ],
            "frequency_id": booking.frequency_id,
            "address": booking.address,
            "city": booking.city,
            "state": None,
            "zip": booking.zip,
            "phone": booking.phone,
            "price": str(before_tax.quantize(Decimal("0.01"))),
            "final_price": str(total.quantize(Decimal("0.01"))),
            "completed": booking.completed,
            "payment_method": "cash",
            "active": booking.active,
            "discount_code": None,
            "customer_comments": booking.notes,
            "sms_notifications": False,
            "flexibility": 0,
            "custom_fields": {},
        }

    def list_bookings(request: Request) -> Any:
        account = customer(request)
        query = request.query
        found = [b for b in platform.bookings_of(account) if b.active]
        if "from" not in query and "to" not in query:
            today = platform.local_now().date()
            found = [b for b in found if not b.completed and b.start.date() >= today]
        if "from" in query:
            found = [b for b in found if b.start.date().isoformat() >= query["from"]]
        if "to" in query:
            found = [b for b in found if b.start.date().isoformat() <= query["to"]]
        found.sort(key=lambda b: (b.start, b.id))
        offset = int(query.get("offset") or 0)
        limit = int(query.get("limit") or 0) or len(found)
        return {"bookings": [booking_json(b) for b in found[offset : offset + limit]]}

    def owned(request: Request, booking_id: str) -> Booking:
        account = customer(request)
        booking = platform.bookings.get(int(booking_id))
        if booking is None or booking.user_id != account.id:
            raise Reply(404, {"error": "Not found"})
        return booking

    def get_booking(request: Request, booking_id: str) -> Any:
        return {"booking": booking_json(owned(request, booking_id))}

    def create(request: Request) -> Any:
        account = customer(request)
        body = request.json_object({"booking", "stripe"}, {"booking"})
        if not isinstance(body["booking"], dict):
            raise Reply(422, {"errors": {"booking": ["must be an object"]}})
        booking = body["booking"]
        unknown = set(booking) - BOOKING_FIELDS
        if unknown:
            raise Reply(422, {"errors": {name: ["is not allowed"] for name in sorted(unknown)}})
        lines = lines_from(booking.get("services"), "extra_id", "pricing_parameter_id")
        errors = platform.validate_request(
            lines, booking.get("frequency_id"), booking.get("service_date"), LEGACY_DATE
        )
        if not isinstance(booking.get("address"), str) or not booking["address"].strip():
            errors["address"] = ["can't be blank"]
        if errors:
            raise Reply(422, {"errors": errors})
        created = platform.add_booking(
            account,
            datetime.fromisoformat(booking["service_date"]),
            services=lines,
            frequency_id=booking["frequency_id"],
            address=booking["address"],
            city=booking.get("city"),
            zip=booking.get("zip"),
            phone=booking.get("phone"),
            notes=booking.get("customer_comments"),
        )
        drop_answer_if_asked(platform)
        return {"booking": booking_json(created)}

    def cancel(request: Request, booking_id: str) -> Any:
        booking = owned(request, booking_id)
        flags = {k: request.query.get(k) == "true" for k in
                 ("cancel_late", "cancel_recurring", "cancel_future")}  # fmt: skip
        platform.cancel_bodies.append(flags)
        if not booking.active or booking.completed or booking.start <= platform.local_now():
            raise Reply(422, {"errors": {"base": ["booking can't be cancelled"]}})
        if platform.late_fee(booking) is not None and not flags["cancel_late"]:
            raise Reply(
                406, {"error": "Late cancellation fee applies: confirm with cancel_late=true"}
            )
        if platform.recurring(booking) and not flags["cancel_recurring"]:
            raise Reply(406, {"error": "Recurring booking: confirm with cancel_recurring=true"})
        platform.cancel(booking, future=flags["cancel_future"])
        return {"booking": booking_json(booking)}

    return [
        route("POST", "/api/auth", auth),
        route("GET", "/api/bookings", list_bookings),
        route("POST", "/api/bookings", create),
        route("GET", r"/api/bookings/(\d+)", get_booking),
        route("DELETE", r"/api/bookings/(\d+)", cancel),
    ]
