"""Cancelling a booking, with the platform's confirmations (late fee, recurring series)."""

from __future__ import annotations

from bot.backends.protocol import BookingNotFound
from bot.conversation.bookings import resolve_reference
from bot.conversation.turn import Turn
from bot.messages import Reply


def start(turn: Turn) -> list[Reply]:
    from bot.conversation.table import with_prompt

    booking_id = resolve_reference(turn, turn.args) if turn.args else None
    if booking_id:
        try:
            turn.backend.booking(turn.customer, booking_id)
        except BookingNotFound:
            return with_prompt(turn, f"I can't find booking {booking_id}.")
    return with_prompt(turn, "Cancelling by chat is not available yet.")


def prompt(turn: Turn) -> Reply:
    return Reply("Send MENU for the menu.")


def on_choose(turn: Turn) -> list[Reply]:
    return start(turn)


on_late = on_recurring = on_choose
