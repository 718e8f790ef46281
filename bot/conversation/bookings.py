"""The booking list (newest first, paged with MORE) and one booking's details."""

from __future__ import annotations

import re

from bot.backends.protocol import Booking, BookingNotFound, Capability
from bot.channels.sms import render_text, segments
from bot.conversation.formatting import booking_details, booking_line
from bot.conversation.states import State
from bot.conversation.turn import Turn, reply
from bot.messages import Option, Reply

BOOKING_REF = re.compile(r"#?\s*\d{1,12}")

LIMIT = 25
"""The platforms' own limit (Gazoop answers the last 25 bookings)."""
CHAT_PAGE = 8
SMS_SEGMENTS = 2
"""An SMS page holds as many bookings as fit in two segments."""


def show(turn: Turn) -> list[Reply]:
    turn.session.list_offset = 0
    return show_page(turn)


def show_page(turn: Turn) -> list[Reply]:
    session = turn.session
    found = turn.backend.recent_bookings(turn.customer, limit=LIMIT)
    if not found:
        from bot.conversation import menu

        session.listed = []
        return menu.show_after(turn, "You have no bookings yet.")
    if session.list_offset >= len(found):
        session.list_offset = 0
    first = session.list_offset
    count = CHAT_PAGE
    page = _page(turn, found, first, count)
    if turn.sms:
        count = 1
        while (
            first + count < len(found)
            and segments(render_text([_page(turn, found, first, count + 1)])) <= SMS_SEGMENTS
        ):
            count += 1
        page = _page(turn, found, first, count)
    chunk = found[first : first + count]
    session.listed = [b.id for b in chunk]
    session.list_next = first + len(chunk)
    turn.goto(State.BOOKINGS)
    return [page]


def _page(turn: Turn, found: list[Booking], first: int, count: int) -> Reply:
    chunk = found[first : first + count]
    tz = turn.settings.tz
    options = [Option(booking_line(b, tz), b.id) for b in chunk]
    if first + len(chunk) < len(found):
        options.append(Option("More", "MORE"))
    options.append(Option("Menu", "MENU"))
    if first == 0 and len(chunk) == len(found):
        header = "Your bookings, newest first:"
    elif len(chunk) == 1:
        header = f"Your booking {first + 1} of {len(found)}:"
    else:
        header = f"Your bookings {first + 1}-{first + len(chunk)} of {len(found)}:"
    return Reply(header, tuple(options))


def prompt_list(turn: Turn) -> Reply:
    return Reply("Send a booking's number for its details, MORE for more, or MENU.")


def on_list(turn: Turn) -> list[Reply]:
    if turn.word == "MORE":
        turn.session.list_offset = turn.session.list_next
        return show_page(turn)
    booking_id = turn.choice
    if booking_id is None and BOOKING_REF.fullmatch(turn.text):
        booking_id = resolve_reference(turn, turn.text)
    if booking_id is None:
        from bot.conversation.table import not_understood

        return not_understood(turn)
    return show_booking(turn, booking_id)


def show_booking(turn: Turn, booking_id: str) -> list[Reply]:
    try:
        booking = turn.backend.booking(turn.customer, booking_id)
    except BookingNotFound:
        from bot.conversation.table import with_prompt

        return with_prompt(turn, f"I can't find booking {booking_id}.")
    turn.goto(State.BOOKING)
    turn.session.data = {"booking": booking.id}
    return [reply(booking_details(booking, turn.settings.tz), *booking_actions(turn, booking))]


def booking_actions(turn: Turn, booking: Booking) -> list[Option]:
    can = turn.backend.capabilities
    actions = []
    if booking.cancellable_at(turn.now):
        if Capability.CANCEL in can:
            actions.append(Option("Cancel it", f"CANCEL #{booking.id}"))
        if Capability.TRACK in can:
            actions.append(Option("Track it", f"TRACK #{booking.id}"))
    actions += [Option("All bookings", "BOOKINGS"), Option("Menu", "MENU")]
    return actions


def prompt_booking(turn: Turn) -> Reply:
    return Reply("Send BOOKINGS for the list, or MENU.")


def on_booking(turn: Turn) -> list[Reply]:
    from bot.conversation.table import not_understood

    return not_understood(turn)


def resolve_reference(turn: Turn, ref: str) -> str | None:
    """A booking id from what the customer typed: "#1042", "1042", or "2" (item 2 shown last)."""
    ref = ref.strip()
    if ref.startswith("#"):
        return ref[1:].strip() or None
    listed = turn.session.listed
    if ref.isdigit() and 1 <= int(ref) <= len(listed):
        return listed[int(ref) - 1]
    return ref or None
