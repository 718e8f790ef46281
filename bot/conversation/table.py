"""The whole dialogue: every state's step (declared by its flow), the words that work
everywhere, and the transitions between flows, which only this module carries out.

Global words (MENU, HELP, LOGOUT, /start) work in every state; the task words BOOKINGS, BOOK,
CANCEL and TRACK work in every state once logged in (typed loosely: "bookngs", "cancle", "my
bookings please"), and only for what the platform can do. Anything else goes to the state's step.
A step returns replies and may set `Turn.next`; `follow` then joins the next question to them.
"""

from __future__ import annotations

from dataclasses import replace

from bot.backends.protocol import Customer
from bot.conversation import book, bookings, cancel, login, menu, track
from bot.conversation.states import LOGGED_OUT, State
from bot.conversation.step import Handler, Step
from bot.conversation.turn import MAX_TEXT, Next, Turn, command_of
from bot.messages import Incoming, Reply, numbered
from bot.understanding.commands import read_command
from bot.understanding.secrets import looks_like_pin

TABLE: dict[State, Step] = {
    **login.STEPS,
    **menu.STEPS,
    **bookings.STEPS,
    **book.STEPS,
    **cancel.STEPS,
    **track.STEPS,
}

TASKS: dict[str, Handler] = {
    "BOOKINGS": bookings.show,
    "BOOK": book.start,
    "CANCEL": cancel.start,
    "TRACK": track.start,
}
GLOBAL = ("START", "MENU", "HELP", "LOGOUT")

OPT_OUT_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "REVOKE", "OPTOUT", "CANCEL"}
)
"""A bare one of these on a US/Canadian long code: Twilio opts the customer out and blocks
every later reply (https://help.twilio.com/articles/223134027). START or YES opts back in."""
OPT_IN_WORDS = frozenset({"START", "UNSTOP", "YES"})

STALE_BUTTON = "That button belongs to an earlier message."
EDITED = "I only read new messages: please send it again."
EDITED_SECRET = "I deleted that edited message. Please send it again as a new message."
MAX_HOPS = 3


def state_of(turn: Turn) -> State:
    try:
        state = State(turn.session.state)
    except ValueError:  # a state from an older release: start over safely
        state = State.MENU if turn.session.logged_in else State.START
    if state not in TABLE and state is not State.OPTED_OUT:
        state = State.MENU if turn.session.logged_in else State.START
    turn.session.state = state
    return state


def prompt(turn: Turn) -> Reply:
    state = state_of(turn)
    if state is State.OPTED_OUT:
        return Reply("")
    return TABLE[state].prompt(turn)


def dispatch(turn: Turn) -> list[Reply]:
    """The replies to one message, with the transitions it asked for carried out."""
    return follow(turn, route(turn))


def route(turn: Turn) -> list[Reply]:
    incoming = turn.incoming
    session = turn.session
    state = state_of(turn)
    if turn.profile.opt_out_words and (silent := opt_out(turn, state)) is not None:
        return silent
    if incoming.edited:
        secret = looks_like_pin(incoming.text) or state in (State.ASK_PIN, State.ASK_CODE)
        return [Reply(EDITED_SECRET if secret else EDITED, delete_incoming=secret)]
    word = command_of(incoming.button or incoming.text)[0]
    if state is State.START and word not in ("LOGOUT",):
        return login.on_start(turn)  # whatever the first message says, find out who this is
    if incoming.button is not None:
        if incoming.button not in session.options and word not in (*GLOBAL, *TASKS):
            return with_prompt(turn, STALE_BUTTON)
        turn.choice = incoming.button
    elif len(incoming.text) > MAX_TEXT:
        return with_prompt(turn, "That message is too long for me.")
    elif not turn.text and incoming.location is None and not shared_contact(incoming):
        if incoming.has_media:
            return with_prompt(turn, "I can only read text.")
        return with_prompt(turn, "I didn't get any text there.")
    elif turn.text.isdigit() and state not in LOGGED_OUT and session.options:
        number = int(turn.text)
        if 1 <= number <= len(session.options) and session.options[number - 1]:
            turn.choice = session.options[number - 1]
    return run_words(turn, state)


def run_words(turn: Turn, state: State) -> list[Reply]:
    """Global words, then task words, then the state's own step."""
    word = turn.word
    if word == "START":
        if turn.session.logged_in:
            return menu.show(turn)
        turn.goto(State.START)
        return login.on_start(turn)
    if word == "MENU":
        return menu.show(turn) if turn.session.logged_in else login.require(turn)
    if word == "HELP":
        return menu.help(turn) if turn.session.logged_in else login.on_start(turn)
    if word == "LOGOUT":
        return login.logout(turn)
    task = task_of(turn, state)
    if task is not None:
        return run_task(turn, *task)
    return TABLE[state].on_message(turn)


def task_of(turn: Turn, state: State) -> tuple[str, str] | None:
    """The task word and its arguments, when the message asks for one here."""
    if turn.word in TASKS:
        if turn.word == "CANCEL" and state in book.BOOK_STATES and not turn.args:
            return None  # "cancel" at "Book it?" drops the draft: the booking flow reads it
        return turn.word, turn.args
    if turn.choice is not None or state in LOGGED_OUT:
        return None
    if state not in (State.MENU, State.BOOKINGS, State.BOOKING) and len(turn.text.split()) > 3:
        return None  # longer answers to a question are the answer, not a command
    found = read_command(turn.text)
    if found is None or found[0] not in TASKS:
        return None
    return found


def run_task(turn: Turn, word: str, args: str) -> list[Reply]:
    if not turn.session.logged_in:
        return login.require(turn)
    if not menu.can(turn, word):
        turn.next = Next.MENU
        return [Reply(menu.UNAVAILABLE[word])]
    if turn.choice is None and (word, args) != (turn.word, turn.args):
        return hand_over(turn, f"{word} {args}")
    return TASKS[word](turn)


def hand_over(turn: Turn, command: str) -> list[Reply]:
    """Run `command` as if the customer had typed it, in the same session."""
    sub = Turn(
        turn.session,
        replace(turn.incoming, text=command, button=None),
        turn.backend,
        turn.settings,
        turn.now,
        turn.lockout,
        links=turn.links,
    )
    replies = run_words(sub, state_of(sub))
    turn.next, turn.command = sub.next, sub.command
    return replies


def follow(turn: Turn, replies: list[Reply]) -> list[Reply]:
    """Carry out the transitions the steps asked for, joining each next question on."""
    for _ in range(MAX_HOPS):
        step, turn.next = turn.next, None
        if step is None:
            break
        if step is Next.MENU:
            replies = join(replies, menu.show(turn))
        elif step is Next.ASK_AGAIN:
            replies = join(replies, [prompt(turn)])
        elif step is Next.LOG_IN_AGAIN:
            replies = join(replies, login.log_in_again(turn))
        elif step is Next.LOGGED_IN:
            deferred = turn.session.data.pop("deferred", None)
            if deferred:
                turn.goto(State.MENU)
                replies = join(replies, hand_over(turn, deferred))
            else:
                replies = join(replies, menu.show(turn))
        elif step is Next.COMMAND and turn.command:
            command, turn.command = turn.command, None
            replies = join(replies, hand_over(turn, command))
    return replies


def join(first: list[Reply], then: list[Reply]) -> list[Reply]:
    """`first`, then `then`, in as few replies as possible (one SMS instead of two)."""
    if not first:
        return then
    if not then:
        return first
    last, head = first[-1], then[0]
    if last.options:
        return [*first, *then]
    text = "\n".join(t for t in (last.text, head.text) if t)
    merged = Reply(
        text,
        head.options,
        head.request_phone,
        last.delete_incoming or head.delete_incoming,
    )
    return [*first[:-1], merged, *then[1:]]


def with_prompt(turn: Turn, text: str) -> list[Reply]:
    """`text`, then what to type next, in one reply."""
    return join([Reply(text)], [prompt(turn)])


def shared_contact(incoming: Incoming) -> bool:
    """A Telegram contact card (on SMS the sender's number comes with every message)."""
    return incoming.channel == "telegram" and incoming.phone is not None


def opt_out(turn: Turn, state: State) -> list[Reply] | None:
    """A bare opt-out word on SMS: recorded, and nothing is sent (the carrier blocks it anyway).
    START brings the conversation back. None: carry on as usual."""
    word = turn.text.strip(" .!").upper()
    if word in OPT_OUT_WORDS:
        turn.session.data = {"resume": state.value if state is not State.OPTED_OUT else "start"}
        turn.goto(State.OPTED_OUT)
        return []
    if state is not State.OPTED_OUT:
        return None
    if word not in OPT_IN_WORDS:
        return []
    turn.session.data = {}
    if turn.session.logged_in:
        turn.next = Next.MENU
        return [Reply("Welcome back.")]
    turn.goto(State.START)
    return login.on_start(turn)


def connected(turn: Turn, customer: Customer) -> list[Reply]:
    """The customer granted access through the callback page: the chat is logged in, then
    carries on with what was asked before connecting."""
    return follow(turn, login.logged_in(turn, customer))


def log_in_again(turn: Turn) -> list[Reply]:
    """The platform no longer accepts the login (LoginExpired): log in again, draft kept."""
    return login.log_in_again(turn)


def numbers(replies: list[Reply]) -> list[str]:
    """The option values by the number the customer types (gaps are empty)."""
    shown = [r for r in replies if r.options]
    if not shown:
        return []
    pairs = numbered(shown[-1].options)
    out = [""] * max(n for n, _ in pairs)
    for n, option in pairs:
        out[n - 1] = option.value
    return out
