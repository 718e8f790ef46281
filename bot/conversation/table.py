"""The conversation, state by state: what each state does with a message, and how it asks again.

Global words (MENU, HELP, LOGOUT, /start) work in every state; the command words BOOKINGS, BOOK,
CANCEL and TRACK work in every state once logged in. Anything else goes to the state's handler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.conversation import book, bookings, cancel, login, menu, track
from bot.conversation.states import LOGGED_OUT, State
from bot.conversation.turn import MAX_TEXT, Turn, command_of
from bot.messages import Incoming, Reply

Handler = Callable[[Turn], list[Reply]]


@dataclass(frozen=True)
class Step:
    on_message: Handler
    prompt: Callable[[Turn], Reply]
    """Asks again for what this state needs: used after input it could not use."""


TABLE: dict[State, Step] = {
    State.START: Step(login.on_start, login.prompt_start),
    State.ASK_IDENTITY: Step(login.on_identity, login.prompt_identity),
    State.ASK_PIN: Step(login.on_pin, login.prompt_pin),
    State.MENU: Step(menu.on_menu, menu.prompt),
    State.BOOKINGS: Step(bookings.on_list, bookings.prompt_list),
    State.BOOKING: Step(bookings.on_booking, bookings.prompt_booking),
    State.BOOK_RESUME: Step(book.on_resume, book.prompt),
    State.BOOK_SERVICE: Step(book.on_service, book.prompt),
    State.BOOK_EXTRAS: Step(book.on_extras, book.prompt),
    State.BOOK_FREQUENCY: Step(book.on_frequency, book.prompt),
    State.BOOK_WHEN: Step(book.on_when, book.prompt),
    State.BOOK_WHERE: Step(book.on_where, book.prompt),
    State.BOOK_PICKUP: Step(book.on_pickup, book.prompt),
    State.BOOK_DROPOFF: Step(book.on_dropoff, book.prompt),
    State.BOOK_NOTE: Step(book.on_note, book.prompt),
    State.BOOK_CONFIRM: Step(book.on_confirm, book.prompt),
    State.BOOK_EDIT: Step(book.on_edit, book.prompt),
    State.CANCEL_CHOOSE: Step(cancel.on_choose, cancel.prompt),
    State.CANCEL_LATE: Step(cancel.on_late, cancel.prompt),
    State.CANCEL_RECURRING: Step(cancel.on_recurring, cancel.prompt),
    State.TRACK_CHOOSE: Step(track.on_choose, track.prompt),
}

GLOBAL_WORDS: dict[str, Handler] = {
    "START": menu.start,
    "MENU": menu.show,
    "HELP": menu.help,
    "LOGOUT": login.logout,
}

COMMAND_WORDS: dict[str, Handler] = {
    "BOOKINGS": bookings.show,
    "BOOK": book.start,
    "CANCEL": cancel.start,
    "TRACK": track.start,
}

STALE_BUTTON = "That button belongs to an earlier message."
NOT_UNDERSTOOD = "Sorry, I didn't understand that."


def state_of(turn: Turn) -> State:
    try:
        return State(turn.session.state)
    except ValueError:  # a state from an older release: start over safely
        turn.session.state = State.MENU if turn.session.logged_in else State.START
        return State(turn.session.state)


def prompt(turn: Turn) -> Reply:
    return TABLE[state_of(turn)].prompt(turn)


def with_prompt(turn: Turn, text: str) -> list[Reply]:
    """`text`, then what to type next, in one reply (one SMS instead of two)."""
    again = prompt(turn)
    return [Reply(f"{text}\n{again.text}", again.options, again.request_phone)]


def not_understood(turn: Turn) -> list[Reply]:
    return with_prompt(turn, NOT_UNDERSTOOD)


def shared_contact(incoming: Incoming) -> bool:
    """A Telegram contact card (on SMS the sender's number comes with every message)."""
    return incoming.channel == "telegram" and incoming.phone is not None


def dispatch(turn: Turn) -> list[Reply]:
    incoming = turn.incoming
    session = turn.session
    state = state_of(turn)
    if state is State.START and turn.word not in ("HELP", "LOGOUT"):
        return login.on_start(turn)  # whatever the first message says, ask who this is
    if incoming.button is not None:
        word, _ = command_of(incoming.button)
        if incoming.button not in session.options and word not in GLOBAL_WORDS | COMMAND_WORDS:
            return with_prompt(turn, STALE_BUTTON)
        turn.choice = incoming.button
    elif len(incoming.text) > MAX_TEXT:
        return with_prompt(turn, "That message is too long for me.")
    elif not turn.text and incoming.location is None and not shared_contact(incoming):
        if incoming.has_media:
            return with_prompt(turn, "Sorry, I can only read text messages.")
        return with_prompt(turn, "I didn't get any text there.")
    elif turn.text.isdigit() and state not in LOGGED_OUT and session.options:
        number = int(turn.text)
        if 1 <= number <= len(session.options):
            turn.choice = session.options[number - 1]

    word = turn.word
    if word in GLOBAL_WORDS:
        return GLOBAL_WORDS[word](turn)
    if word in COMMAND_WORDS:
        if not session.logged_in:
            return login.require(turn)
        return COMMAND_WORDS[word](turn)
    return TABLE[state].on_message(turn)
