"""Booking something new, step by step, with the draft kept in the session."""

from __future__ import annotations

from bot.conversation.turn import Turn
from bot.messages import Reply


def start(turn: Turn) -> list[Reply]:
    from bot.conversation.table import with_prompt

    return with_prompt(turn, "Booking by chat is not available yet.")


def prompt(turn: Turn) -> Reply:
    return Reply("Send MENU for the menu.")


on_resume = on_service = on_extras = on_frequency = on_when = start
on_where = on_pickup = on_dropoff = on_note = on_confirm = on_edit = start
