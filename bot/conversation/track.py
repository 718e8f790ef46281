"""TRACK: where is my driver / my cleaner, for backends that can tell."""

from __future__ import annotations

from bot.backends.protocol import BookingNotFound, Capability, Tracking
from bot.conversation.bookings import resolve_reference
from bot.conversation.formatting import booking_line, when
from bot.conversation.states import State
from bot.conversation.turn import Turn, reply
from bot.messages import Option, Reply


def start(turn: Turn) -> list[Reply]:
    from bot.conversation import menu

    if Capability.TRACK not in turn.backend.capabilities:
        return menu.show_after(turn, "Tracking isn't available here.")
    if turn.args:
        booking_id = resolve_reference(turn, turn.args)
        if booking_id:
            return track(turn, booking_id)
    upcoming = [
        b for b in turn.backend.recent_bookings(turn.customer) if b.cancellable_at(turn.now)
    ]
    if not upcoming:
        return menu.show_after(turn, "You have no upcoming bookings to track.")
    upcoming.sort(key=lambda b: b.start)
    upcoming = upcoming[:5]
    turn.session.listed = [b.id for b in upcoming]
    turn.goto(State.TRACK_CHOOSE)
    options = [Option(booking_line(b, turn.settings.tz), b.id) for b in upcoming]
    return [reply("Which booking?", *options, Option("Menu", "MENU"))]


def prompt(turn: Turn) -> Reply:
    return Reply("Send the number of the booking to track, or MENU.")


def on_choose(turn: Turn) -> list[Reply]:
    booking_id = turn.choice or resolve_reference(turn, turn.text)
    if not booking_id or (not turn.choice and booking_id not in turn.session.listed):
        from bot.conversation.table import not_understood

        return not_understood(turn)
    return track(turn, booking_id)


def track(turn: Turn, booking_id: str) -> list[Reply]:
    from bot.conversation import menu
    from bot.conversation.table import with_prompt

    try:
        tracking = turn.backend.track(turn.customer, booking_id)
    except BookingNotFound:
        return with_prompt(turn, f"I can't find booking {booking_id}.")
    turn.goto(State.MENU)
    return [
        reply(
            describe(turn, tracking), ("Track again", f"TRACK #{booking_id}"), *menu.options(turn)
        )
    ]


def describe(turn: Turn, tracking: Tracking) -> str:
    parts = [f"Booking #{tracking.booking_id}: {tracking.status}."]
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
