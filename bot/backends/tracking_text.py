"""How a tracked delivery reads to the customer, whatever platform tracked it.

"Your delivery is 4 stops away, about 12 min (around 14:05)." Only GSM-7 characters, so a line fits
an SMS without switching the whole message to UCS-2.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.backends.protocol import Tracking

SOON = timedelta(hours=3)
"""Within this, the ETA is said as a duration too; beyond it, only as a time."""
NOT_SURE_OF_LOCATION = "We're not yet sure of your exact location, so the driver may call you."


_COMPLETED = ("Your delivery has been completed.", "Delivered")
FINISHED = {
    "delivered": _COMPLETED,
    "completed": _COMPLETED,
    "not delivered": (
        "Your delivery could not be made. Please get in touch to arrange another.",
        "Not delivered",
    ),
    "cancelled": ("Your delivery was cancelled.", "Cancelled"),
}
"""A finished delivery's status -> what is said of it alone, and as a line of a list."""


def describe_delivery(tracking: Tracking, now: datetime, tz: ZoneInfo) -> str:
    if tracking.completed_at is not None:
        return f"Your delivery was completed {_day_and_time(tracking.completed_at, now, tz)}."
    if tracking.status in FINISHED:
        return FINISHED[tracking.status][0]
    text = f"Your delivery is {_stops(tracking.stops_ahead)}"
    if tracking.eta is not None:
        text += f", {_eta(tracking.eta, now, tz)}"
    text += "."
    if tracking.location_confident is False:
        text += " " + NOT_SURE_OF_LOCATION
    return text


def describe_deliveries(
    trackings: list[Tracking], now: datetime, tz: ZoneInfo, limit: int = 3
) -> str:
    """One line per delivery, soonest first; with several, each says what it is."""
    shown = trackings[:limit]
    if len(shown) == 1:
        return describe_delivery(shown[0], now, tz)
    lines = []
    for tracking in shown:
        line = describe_delivery(tracking, now, tz)
        if tracking.description:
            line = f"{tracking.description}: {line[0].lower()}{line[1:]}"
        lines.append(line)
    return "\n".join(lines)


def delivery_line(tracking: Tracking, now: datetime, tz: ZoneInfo) -> str:
    """One delivery in a list of them: "On the way, 4 stops away, around 14:05"."""
    if tracking.completed_at is not None:
        return f"Delivered {_day_and_time(tracking.completed_at, now, tz)}"
    if tracking.status in FINISHED:
        return FINISHED[tracking.status][1]
    parts = ["On the way"]
    if tracking.stops_ahead is not None:
        parts.append("next stop" if tracking.stops_ahead == 0 else _stops(tracking.stops_ahead))
    if tracking.eta is not None:
        local = tracking.eta.astimezone(tz)
        soon = tracking.eta - now <= SOON
        parts.append(f"around {local:%H:%M}" if soon else _day_and_time(tracking.eta, now, tz))
    return ", ".join(parts)


def _stops(stops_ahead: int | None) -> str:
    if stops_ahead is None:
        return "on the way"
    if stops_ahead == 0:
        return "next"
    return f"{stops_ahead} stop away" if stops_ahead == 1 else f"{stops_ahead} stops away"


def _eta(eta: datetime, now: datetime, tz: ZoneInfo) -> str:
    left = eta - now
    if left <= timedelta(minutes=1):
        return "due any minute now"
    if left > SOON:
        return f"expected {_day_and_time(eta, now, tz)}"
    minutes = math.ceil(left.total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    duration = (
        f"{minutes} min" if not hours else f"{hours} h {minutes} min" if minutes else f"{hours} h"
    )
    return f"about {duration} (around {eta.astimezone(tz):%H:%M})"


def _day_and_time(moment: datetime, now: datetime, tz: ZoneInfo) -> str:
    local, today = moment.astimezone(tz), now.astimezone(tz).date()
    if local.date() == today:
        return f"at {local:%H:%M}"
    if local.date() == today - timedelta(days=1):
        return f"yesterday at {local:%H:%M}"
    if local.date() == today + timedelta(days=1):
        return f"tomorrow at {local:%H:%M}"
    return f"on {local:%a} {local.day} {local:%b} at {local:%H:%M}"
