"""The main menu, /start and HELP: offering only what the backend can do."""

from __future__ import annotations

from bot.backends.protocol import Capability
from bot.conversation.states import State
from bot.conversation.turn import Turn
from bot.messages import Option, Reply

HELP_WORDS = (
    ("BOOKINGS", "your bookings", None),
    ("BOOK", "a new booking", Capability.BOOK),
    ("CANCEL", "cancel one", Capability.CANCEL),
    ("TRACK", "where is my ride", Capability.TRACK),
    ("MENU", "the menu", None),
    ("LOGOUT", "log out", None),
)


def options(turn: Turn) -> tuple[Option, ...]:
    can = turn.backend.capabilities
    offered = [Option("My bookings", "BOOKINGS")]
    if Capability.BOOK in can:
        label = "Finish my booking" if turn.session.draft else "Book"
        offered.append(Option(label, "BOOK"))
    if Capability.CANCEL in can:
        offered.append(Option("Cancel a booking", "CANCEL"))
    if Capability.TRACK in can:
        offered.append(Option("Track", "TRACK"))
    offered.append(Option("Log out", "LOGOUT"))
    return tuple(offered)


def prompt(turn: Turn) -> Reply:
    return Reply("What would you like to do?", options(turn))


def show(turn: Turn) -> list[Reply]:
    if not turn.session.logged_in:
        from bot.conversation import login

        return login.require(turn)
    turn.goto(State.MENU)
    turn.session.data = {}
    return [prompt(turn)]


def show_after(turn: Turn, text: str) -> list[Reply]:
    """`text`, then the menu, in one reply (one SMS instead of two)."""
    menu_reply = show(turn)[0]
    return [Reply(f"{text}\n{menu_reply.text}", menu_reply.options)]


def start(turn: Turn) -> list[Reply]:
    """/start: the menu when logged in, else (again) the beginning of logging in."""
    if turn.session.logged_in:
        return show(turn)
    from bot.conversation import login

    turn.goto(State.START)
    return login.on_start(turn)


def help(turn: Turn) -> list[Reply]:
    if not turn.session.logged_in:
        from bot.conversation.table import with_prompt

        return with_prompt(turn, "I can show, book and cancel your bookings once you're logged in.")
    can = turn.backend.capabilities
    words = [f"{w} {what}" for w, what, need in HELP_WORDS if need is None or need in can]
    return [Reply("Send " + ", ".join(words) + ". On a list, send its number.")]


def on_menu(turn: Turn) -> list[Reply]:
    """Free text at the menu: a booking when it names a service, else what to send."""
    from bot.conversation import book
    from bot.conversation.table import not_understood, with_prompt

    if turn.word in ("YES", "NO"):
        return with_prompt(turn, book.NOTHING_TO_CONFIRM)
    can_book = Capability.BOOK in turn.backend.capabilities
    if can_book and turn.session.draft is None and (booking := book.from_text(turn)):
        return booking
    return not_understood(turn)
