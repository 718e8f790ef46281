"""Logging in: who are you (the SMS sender's number, or a typed/shared one), then the PIN.

The PIN is never kept in the session, logged or echoed; every reply to a message that may carry
it asks the channel to delete that message. A wrong PIN and an unknown number get the same
answer, and five wrong tries per identity or per conversation lock logging in for 15 minutes.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

from bot.backends.protocol import InvalidCredentials
from bot.conversation import menu
from bot.conversation.states import State
from bot.conversation.turn import Turn, reply
from bot.messages import Reply
from bot.phones import normalize_phone
from bot.sessions import Session

log = logging.getLogger(__name__)

PIN = re.compile(r"\d{4,12}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

WRONG = "That number and PIN don't match our records. Please try again."
WRONG_EMAIL = "That email and PIN don't match our records. Please try again."


def uses_email(turn: Turn) -> bool:
    return turn.backend.login_method.identifier == "email"


def vouched_identity(turn: Turn) -> str | None:
    """The sender's own number, when the platform vouches for it and the backend logs in by phone."""
    if uses_email(turn) or not turn.incoming.phone:
        return None
    return normalize_phone(turn.incoming.phone, turn.settings.phone_region)


def welcome(turn: Turn) -> str:
    return f"Welcome to {turn.settings.business_name}."


def on_start(turn: Turn) -> list[Reply]:
    identity = vouched_identity(turn)
    if identity and turn.incoming.channel != "telegram":
        turn.session.identity = identity
        turn.goto(State.ASK_PIN)
        return [Reply(f"{welcome(turn)} Please reply with your PIN to manage your bookings.")]
    if identity:  # a Telegram contact shared as the very first message
        return accept_identity(turn, identity)
    if typed := typed_identity(turn):  # the number (or email) typed straight away
        [thanks] = accept_identity(turn, typed)
        return [Reply(f"{welcome(turn)} {thanks.text}")]
    turn.goto(State.ASK_IDENTITY)
    ask = prompt_identity(turn)
    return [Reply(f"{welcome(turn)} {ask.text}", request_phone=ask.request_phone)]


def prompt_start(turn: Turn) -> Reply:
    return Reply("Send any message to log in.")


def prompt_identity(turn: Turn) -> Reply:
    if uses_email(turn):
        return Reply("Please send the email address of your account.")
    if turn.incoming.channel == "telegram":
        return Reply(
            "Please send your phone number with its country code (e.g. +44 7700 900123), "
            "or tap the button to share it.",
            request_phone=True,
        )
    return Reply("Please send your phone number with its country code, e.g. +44 7700 900123.")


def prompt_pin(turn: Turn) -> Reply:
    return Reply("Please send your PIN (4 to 12 digits).")


def typed_identity(turn: Turn) -> str | None:
    """The phone number (or, for email backends, the address) the message is, if it is one."""
    if uses_email(turn):
        return turn.text.lower() if EMAIL.fullmatch(turn.text) else None
    return normalize_phone(turn.text, turn.settings.phone_region)


def on_identity(turn: Turn) -> list[Reply]:
    identity = vouched_identity(turn) or typed_identity(turn)
    if identity is None:
        what = "an email address" if uses_email(turn) else "a phone number"
        return [_again(turn, f"That doesn't look like {what}.")]
    return accept_identity(turn, identity)


def accept_identity(turn: Turn, identity: str) -> list[Reply]:
    turn.session.identity = identity
    turn.goto(State.ASK_PIN)
    deleted = " I'll delete that message right away." if turn.incoming.channel == "telegram" else ""
    return [Reply(f"Thanks. Now send your PIN (4 to 12 digits).{deleted}")]


def on_pin(turn: Turn) -> list[Reply]:
    session = turn.session
    if not session.identity:
        turn.goto(State.START)
        return on_start(turn)
    identities = [f"id:{session.identity}", f"conv:{turn.incoming.key}"]
    now = turn.now.timestamp()
    pin = "".join(turn.text.split())
    if not PIN.fullmatch(pin):
        return [_pin_reply("A PIN is 4 to 12 digits, nothing else. Please try again.")]
    if until := turn.lockout.attempt(identities, now):  # counted before it is checked
        log.info("conversation %s: login refused, locked out", turn.incoming.key)
        return [_pin_reply(locked_text(turn, until))]
    try:
        customer = turn.backend.login(session.identity, pin)
    except InvalidCredentials:
        log.info("conversation %s: wrong PIN or unknown identity", turn.incoming.key)
        if until := turn.lockout.locked_until(identities, now):  # that was the last try
            return [_pin_reply(locked_text(turn, until))]
        again = WRONG_EMAIL if uses_email(turn) else WRONG
        if turn.incoming.channel == "telegram":
            again += " Or send LOGOUT to use another number."
        return [_pin_reply(again)]
    # The chat that proved the PIN starts afresh; the number's own checks stay counted for their
    # 15 minutes, so a burst of guesses racing a successful login gets no fresh tries.
    turn.lockout.clear([f"conv:{turn.incoming.key}"])
    log.info("conversation %s: logged in as customer %s", turn.incoming.key, customer.id)
    session.set_customer(customer)
    session.identity = None
    first = customer.name.split()[0] if customer.name else ""
    greeting = f"Hi {first}, you're logged in." if first else "You're logged in."
    menu_reply = menu.show(turn)[0]
    return [
        Reply(
            f"{greeting}\n{menu_reply.text}",
            menu_reply.options,
            delete_incoming=True,
        )
    ]


def locked_text(turn: Turn, until: float) -> str:
    local = datetime.fromtimestamp(until, UTC).astimezone(turn.settings.tz)
    return (
        "Too many wrong PINs. For your security, logging in is paused until "
        f"{local:%H:%M}. Please try again then."
    )


def require(turn: Turn) -> list[Reply]:
    """A logged-in command while logged out: carry on with logging in."""
    again = prompt_pin(turn) if turn.session.state == State.ASK_PIN else prompt_identity(turn)
    return [Reply(f"Please log in first. {again.text}", request_phone=again.request_phone)]


def logout(turn: Turn) -> list[Reply]:
    was_logged_in = turn.session.logged_in
    turn.session.__dict__.update(Session().__dict__)
    if was_logged_in:
        return [Reply("You're logged out. Goodbye! Send any message to log in again.")]
    return [Reply("Goodbye! Send any message to log in.")]


def _again(turn: Turn, problem: str) -> Reply:
    ask = prompt_identity(turn)
    return Reply(f"{problem} {ask.text}", request_phone=ask.request_phone)


def _pin_reply(text: str) -> Reply:
    return reply(text, delete_incoming=True)
