"""car2go JSON answers → protocol types (getbookings_v2_1, vehicles_v2_1, delbooking_v2_1).

Where the documentation is silent or contradicts itself, decided here:
- `reservationTime` is an ISO 8601 string in the text and in the XML example, but a serialised
  Java Calendar in the JSON example, whose `time` ("2010-01-02") and `timeInMillis` (2012-01-02)
  disagree. Both forms are read; for the Calendar form `timeInMillis` wins (it is the instant).
- A booking with a vehicle is BOOKED; one without a vehicle yet is WAITING and says so.
- `reservationTime` may lie in the past (the moment a car was reserved): a booking car2go still
  lists is current, so it can be cancelled whatever its time (`cancellable_while_listed`).
- The cancel fee is a string with a period as decimal separator ("4.00"); `cancelFeeExists`
  false means no fee. `cancelBooking` is a list in the JSON example and an object in the XML one:
  both are read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.backends.protocol import Booking, BookingStatus, Money, Vehicle

SERVICE_NAME = "car2go reservation"
ENGINES = {"CE": "combustion", "ED": "electric"}
NO_VEHICLE_YET = "not assigned yet"
NO_CAR_HEADLINE = "no car assigned yet"


class MalformedAnswer(ValueError):
    pass


def bookings(body: dict[str, Any]) -> list[Booking]:
    return [booking(item) for item in as_list(body.get("booking"))]


def booking(item: dict[str, Any], status: BookingStatus | None = None) -> Booking:
    try:
        booking_id = str(item["bookingId"])
        start = reservation_time(item["reservationTime"])
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedAnswer(f"booking without id or reservation time: {exc}") from None
    position = item.get("bookingposition") or {}
    vehicle = item.get("vehicle")
    details = vehicle_details(vehicle) if vehicle else (("Car", NO_VEHICLE_YET),)
    account = (item.get("account") or {}).get("description")
    if account:
        details = (*details, ("Account", str(account)))
    if status is None:
        status = BookingStatus.BOOKED if vehicle else BookingStatus.WAITING
    return Booking(
        id=booking_id,
        status=status,
        start=start,
        service=SERVICE_NAME,
        address=position.get("address") or None,
        details=details,
        cancellable_while_listed=True,
        headline=headline(details) if vehicle else NO_CAR_HEADLINE,
    )


def headline(details: tuple[tuple[str, str], ...]) -> str:
    """'UL-C 2345, fuel 80%, electric, charging': the car at a glance, for a list."""
    found = dict(details)
    parts = [found.get("Car", "")]
    if "Fuel" in found:
        parts.append(f"fuel {found['Fuel']}")
    parts.append(found.get("Engine", ""))
    if "Charging" in found:
        parts.append("charging" if found["Charging"] == "yes" else "not charging")
    return ", ".join(p for p in parts if p)


def vehicle_details(vehicle: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    details: list[tuple[str, str]] = []
    if vehicle.get("numberPlate") or vehicle.get("name"):
        details.append(("Car", str(vehicle.get("numberPlate") or vehicle.get("name"))))
    if vehicle.get("fuel") is not None:
        details.append(("Fuel", f"{vehicle['fuel']}%"))
    engine = str(vehicle.get("engineType") or "").upper()
    if engine in ENGINES:
        details.append(("Engine", ENGINES[engine]))
    if engine == "ED" and vehicle.get("charging") is not None:
        details.append(("Charging", "yes" if _truthy(vehicle["charging"]) else "no"))
    position = vehicle.get("position") or {}
    address = position.get("address") if isinstance(position, dict) else None
    address = address or vehicle.get("address")
    if address:
        details.append(("Car stands at", str(address)))
    for part in ("interior", "exterior"):
        if vehicle.get(part):
            details.append((part.capitalize(), str(vehicle[part]).lower()))
    return tuple(details)


def reservation_time(value: Any) -> datetime:
    if isinstance(value, dict):
        if value.get("timeInMillis") is not None:
            return datetime.fromtimestamp(int(value["timeInMillis"]) / 1000, tz=UTC)
        value = value.get("time")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise ValueError("reservation time without a time zone")
    return parsed.astimezone(UTC)


def cancel_fee(body: dict[str, Any]) -> Money | None:
    items = as_list(body.get("cancelBooking"))
    if not items or not _truthy(items[0].get("cancelFeeExists")):
        return None
    info = items[0]
    try:
        amount = Decimal(str(info.get("cancelFee") or "0"))
    except InvalidOperation:
        raise MalformedAnswer("cancel fee is not a number") from None
    currency = str(info.get("cancelFeeCurrency") or "EUR").upper()
    return Money(int((amount * 100).to_integral_value()), currency)


def vehicles(body: dict[str, Any]) -> list[Vehicle]:
    found = []
    for mark in as_list(body.get("placemarks")):
        vin, plate = mark.get("vin"), mark.get("name")
        if not vin or not plate:
            continue
        coordinates = mark.get("coordinates") or []
        location = None
        if len(coordinates) >= 2:
            # KML order: longitude, latitude[, altitude]
            location = (float(coordinates[1]), float(coordinates[0]))
        details = tuple(d for d in vehicle_details(mark) if d[0] not in ("Car", "Car stands at"))
        found.append(
            Vehicle(
                id=str(vin),
                name=str(plate),
                address=mark.get("address") or None,
                location=location,
                details=details,
            )
        )
    return found


def accounts(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(accountId, description) of each account, in car2go's order."""
    return [
        (str(a["accountId"]), str(a.get("description") or ""))
        for a in as_list(body.get("account"))
        if a.get("accountId") is not None
    ]


def as_list(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    raise MalformedAnswer(f"expected a list, got {type(value).__name__}")


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)
