"""TRACK: where is my driver / my cleaner, for platforms that can tell.

TRACK ──> the upcoming bookings, soonest first, paged with MORE ──(a number)──> tracking
TRACK <ref> ──> tracking of that booking, then the menu's options
"""

from __future__ import annotations

from bot.backends.protocol import BookingNotFound, Tracking
from bot.conversation import listing
from bot.conversation.formatting import when
from bot.conversation.states import State
from bot.conversation.step import Step
from bot.conversation.turn import Turn, ask_again, not_understood, reply, to_menu
from bot.messages import Reply

FALLBACK = "Send the number of the booking to track, or MENU."


def start(turn: Turn) -> list[Reply]:
    if turn.args and (booking_id := listing.resolve_reference(turn, turn.args)):
        return track(turn, booking_id)
    turn.session.data = {}
    return show_page(turn, 0)


def show_page(turn: Turn, offset: int) -> list[Reply]:
    found = turn.backend.recent_bookings(turn.customer, limit=listing.LIMIT)
    items = listing.upcoming(found, turn.now)
    if not items:
        return to_menu(turn, "You have no upcoming bookings to track.")
    turn.goto(State.TRACK_CHOOSE)
    return [listing.show_page(turn, items, header, offset=offset)]


def header(first: int, last: int, total: int) -> str:
    if first == 1 and last == total:
        return "Which booking?"
    return f"Which booking? ({first}-{last} of {total})"


def prompt(turn: Turn) -> Reply:
    return listing.shown_again(turn, FALLBACK)


def on_choose(turn: Turn) -> list[Reply]:
    if turn.word == "MORE":
        return show_page(turn, turn.session.list_next)
    booking_id = listing.typed_reference(turn)
    if not booking_id or (not turn.choice and booking_id not in turn.session.listed):
        return not_understood(turn)
    return track(turn, booking_id)


def track(turn: Turn, booking_id: str) -> list[Reply]:
    try:
        tracking = turn.backend.track(turn.customer, booking_id)
    except BookingNotFound:
        return ask_again(turn, f"I can't find booking {booking_id[:15]}.")
    turn.goto(State.MENU)
    return [
        reply(describe(turn, tracking), ("Track again", f"TRACK #{booking_id}"), ("Menu", "MENU"))
    ]


def describe(turn: Turn, tracking: Tracking) -> str:
    parts = [f"Booking #{tracking.booking_id}: {tracking.status}."]
    if tracking.description:
        parts.append(f"{tracking.description}.")
    if tracking.stops_ahead is not None:
        stops = "stop" if tracking.stops_ahead == 1 else "stops"
        parts.append(f"{tracking.stops_ahead} {stops} before yours.")
    if tracking.eta is not None:
        minutes = int((tracking.eta - turn.now).total_seconds() // 60)
        if 0 < minutes <= 120:
            parts.append(
                f"Arriving in about {minutes} min ({when(tracking.eta, turn.settings.tz)})."
            )
        else:
            parts.append(f"Expected {when(tracking.eta, turn.settings.tz)}.")
    if tracking.waiting_seconds:
        parts.append(f"Waiting time about {tracking.waiting_seconds // 60} min.")
    return " ".join(parts)


STEPS = {State.TRACK_CHOOSE: Step(on_choose, prompt)}
