"""BOOKINGS: what's next first, a page at a time, and one booking's details.

BOOKINGS ──> the list (upcoming, soonest first) ──(MORE)──> its next page
                                               ──(PAST)──> past bookings, latest first
                                               ──(a number / #id)──> BOOKING
BOOKING ──(Cancel it / Track it / All bookings / Menu)──> that task (the table runs it)
"""

from __future__ import annotations

from collections.abc import Callable

from bot.backends.protocol import Booking, BookingNotFound, Capability
from bot.conversation import listing
from bot.conversation.formatting import booking_details
from bot.conversation.kept import bookings_to_show
from bot.conversation.states import State
from bot.conversation.step import Step
from bot.conversation.turn import Turn, ask_again, not_understood, reply, to_menu
from bot.messages import Option, Reply

NONE_YET = "You have no bookings yet."


def show(turn: Turn) -> list[Reply]:
    turn.session.data = {}
    return show_page(turn, 0)


def show_page(turn: Turn, offset: int, after_the_end: bool = False) -> list[Reply]:
    """`after_the_end`: MORE on the last page of a list (the next list, or the top again)."""
    found = bookings_to_show(turn.backend, turn.customer, listing.LIMIT)
    if not found:
        turn.session.listed = []
        return to_menu(turn, NONE_YET)
    wants_past = bool(turn.session.data.get("past"))
    ahead = listing.upcoming(found, turn.now)
    before = listing.past(found, turn.now)
    items = before if (wants_past and before) or not ahead else ahead
    extra = (Option("Past", "PAST"),) if before and items is ahead else ()
    turn.goto(State.BOOKINGS)
    title = header(items is before)
    starts_over = after_the_end and (items is ahead or not ahead)
    page = listing.show_page(
        turn, items, title, offset=offset, extra=extra, found=len(found), starts_over=starts_over
    )
    turn.session.data["past"] = items is before
    turn.session.data["total"] = len(items)
    return [page]


def header(is_past: bool) -> Callable[[int, int, int], str]:
    def text(first: int, last: int, total: int) -> str:
        what = "Your bookings in the past" if is_past else "Your bookings"
        if first == 1 and last == total:
            return f"{what}:" if is_past else f"{what}, soonest first:"
        span = f"{first}-{last}" if last > first else f"{first}"
        return f"{what} {span} of {total}:"

    return text


def more(turn: Turn) -> list[Reply]:
    """The next page; after the last upcoming page the past ones, then from the top again."""
    shown_all = turn.session.list_next >= turn.session.data.get("total", 0)
    if shown_all:
        turn.session.data["past"] = not turn.session.data.get("past")
        return show_page(turn, 0, after_the_end=True)
    return show_page(turn, turn.session.list_next)


def prompt_list(turn: Turn) -> Reply:
    return listing.shown_again(turn, "Send a booking's number for its details, MORE, or MENU.")


def on_list(turn: Turn) -> list[Reply]:
    if turn.word == "MORE":
        return more(turn)
    if turn.word == "PAST":
        turn.session.data["past"] = True
        return show_page(turn, 0)
    booking_id = listing.typed_reference(turn)
    if booking_id is None:
        return not_understood(turn)
    return show_booking(turn, booking_id)


def show_booking(turn: Turn, booking_id: str) -> list[Reply]:
    try:
        booking = turn.backend.booking(turn.customer, booking_id)
    except BookingNotFound:
        return ask_again(turn, f"I can't find booking {booking_id[:15]}.")
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
    return not_understood(turn)


STEPS = {
    State.BOOKINGS: Step(on_list, prompt_list),
    State.BOOKING: Step(on_booking, prompt_booking),
}
