"""How bookings, times and money read in a reply: short, because SMS customers pay per segment."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.backends.protocol import Booking, BookingStatus

STATUS_WORDS = {
    BookingStatus.BOOKED: "Booked",
    BookingStatus.WAITING: "Awaiting confirmation",
    BookingStatus.EN_ROUTE: "On the way",
    BookingStatus.IN_PROGRESS: "In progress",
    BookingStatus.COMPLETED: "Completed",
    BookingStatus.CANCELLED: "Cancelled",
}


def when(moment: datetime, tz: ZoneInfo) -> str:
    """'Tue 24 Nov 15:00' in the business's time zone."""
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def status_word(status: BookingStatus) -> str:
    return STATUS_WORDS.get(status, str(status).replace("_", " ").capitalize())


def place(booking: Booking, short: bool = False) -> str:
    """Where: the address, or pickup to dropoff; `short` keeps each to its first part."""

    def cut(text: str | None) -> str:
        text = text or "?"
        return text.split(",")[0].strip() if short else text

    if booking.pickup or booking.dropoff:
        return f"{cut(booking.pickup)} to {cut(booking.dropoff)}"
    return cut(booking.address) if booking.address else ""


def booking_line(booking: Booking, tz: ZoneInfo) -> str:
    """One line of a list: '#1042 Booked, Tue 24 Nov 15:00, Standard clean, 12 High St, £60.00'.

    Addresses are cut to their first part: four lines and a footer must fit two SMS segments.
    """
    parts = [
        f"#{booking.id} {status_word(booking.status)}",
        when(booking.start, tz),
        booking.service,
    ]
    if where := place(booking, short=True):
        parts.append(where)
    if booking.price is not None:
        parts.append(str(booking.price))
    if booking.headline:
        parts.append(booking.headline)
    return ", ".join(parts)


def booking_details(booking: Booking, tz: ZoneInfo) -> str:
    lines = [
        f"Booking #{booking.id}: {status_word(booking.status)}",
        f"When: {when(booking.start, tz)}",
        f"What: {booking.service}" + (f" + {', '.join(booking.extras)}" if booking.extras else ""),
    ]
    if booking.pickup or booking.dropoff:
        lines.append(f"From: {booking.pickup or '?'}")
        lines.append(f"To: {booking.dropoff or '?'}")
    elif booking.address:
        lines.append(f"Where: {booking.address}")
    if booking.frequency:
        lines.append(f"Repeats: {booking.frequency}")
    if booking.price is not None:
        lines.append(f"Price: {booking.price}")
    lines += [f"{label}: {value}" for label, value in booking.details]
    return "\n".join(lines)
