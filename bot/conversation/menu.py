"""The main menu and HELP: only what the platform can do, each task always under its own number.

    MENU ──(a task's number or word)──> that task (the table runs it)
    MENU ──(free text naming a service: "deep clean tomorrow 9am")──> BOOK with that text
    MENU ──(anything else)──> Next.ASK_AGAIN

Numbers are fixed per task (1 bookings, 2 book, 3 cancel, 4 track, 5 log out) so "3" means the
same whether or not TRACK is offered. On a channel where the carrier treats a bare CANCEL as an
opt-out (SMS), the words offered are never a bare opt-out word.
"""

from __future__ import annotations

from bot.backends.protocol import Capability
from bot.conversation.states import State
from bot.conversation.step import Step
from bot.conversation.turn import Turn, hand_to, not_understood
from bot.messages import Option, Reply
from bot.understanding.booking import read_booking

TASKS = (
    # number, label, value, capability needed, what HELP says
    (1, "My bookings", "BOOKINGS", Capability.LIST, "your bookings"),
    (2, "Book", "BOOK", Capability.BOOK, "a new booking"),
    (3, "Cancel a booking", "CANCEL", Capability.CANCEL, "cancel one"),
    (4, "Track", "TRACK", Capability.TRACK, "where is my booking now"),
)
LOGOUT_NUMBER = 5

UNAVAILABLE = {
    "BOOKINGS": "Sorry, listing bookings isn't available here.",
    "BOOK": "Sorry, booking by chat isn't available here.",
    "CANCEL": "Sorry, cancelling by chat isn't available here.",
    "TRACK": "Sorry, tracking isn't available here.",
}
NEEDS = {value: need for _, _, value, need, _ in TASKS}


def can(turn: Turn, command: str) -> bool:
    need = NEEDS.get(command)
    return need is None or need in turn.backend.capabilities


def options(turn: Turn) -> tuple[Option, ...]:
    offered = []
    for number, label, value, need, _ in TASKS:
        if need in turn.backend.capabilities:
            if value == "BOOK" and turn.session.draft:
                label = "Finish my booking"
            offered.append(Option(label, value, number))
    offered.append(Option("Log out", "LOGOUT", LOGOUT_NUMBER))
    return tuple(offered)


def prompt(turn: Turn) -> Reply:
    return Reply("What would you like to do?", options(turn))


def show(turn: Turn) -> list[Reply]:
    turn.goto(State.MENU)
    deferred = turn.session.data.get("deferred")
    turn.session.data = {"deferred": deferred} if deferred else {}
    return [prompt(turn)]


def cancel_word(turn: Turn) -> str:
    """How to ask for CANCEL: never the bare opt-out word where the carrier acts on it."""
    return "CANCEL 2 (or CANCEL BOOKING)" if turn.profile.opt_out_words else "CANCEL"


def help(turn: Turn) -> list[Reply]:
    """Plain guidance, with the menu's options (buttons on Telegram)."""
    words = []
    for _, _, value, need, what in TASKS:
        if need in turn.backend.capabilities:
            word = cancel_word(turn) if value == "CANCEL" else value
            words.append(f"{word} for {what}")
    text = (
        "You can send "
        + ", ".join(words)
        + ". On a list, send an item's number. MENU shows the menu, LOGOUT logs you out."
    )
    turn.goto(State.MENU)
    return [Reply(text, options(turn))]


def on_menu(turn: Turn) -> list[Reply]:
    """Free text at the menu: a booking when it names a service, else what to send."""
    if turn.word in ("YES", "NO"):
        return not_understood(turn, "There's nothing to confirm right now.")
    carried = read_booking(turn.text, turn.catalogue)
    if Capability.BOOK in turn.backend.capabilities and carried.service is not None:
        return hand_to(turn, f"BOOK {turn.text}")
    return not_understood(turn)


STEPS = {State.MENU: Step(on_menu, prompt)}
