"""Logging in, as the platform does it (`backend.login_method`).

    START ──(the SMS sender's number / a typed or shared number or email)──> ASK_PIN
    START ──(a PIN-looking first SMS: tried as the PIN for the sender's number)──> logged in
    START ──("+44 7700 900123 1234" on Telegram: number and PIN at once)──> logged in
    ASK_IDENTITY ──(number or email)──> ASK_PIN
    ASK_PIN ──(right PIN/password)──> Next.LOGGED_IN (the task asked for first, or the menu)
    ASK_PIN ──(OneTimeCodeRequired)──> ASK_CODE ──(the 6-digit code)──> Next.LOGGED_IN
    START ──(link login)──> ASK_LINK ──(the code shown after authorising)──> Next.LOGGED_IN
    ASK_LINK ──(the customer came back through the callback page: `table.connected`)──> the same

The secret is never logged or echoed and never kept, except a password waiting for its one-time
code (in `Session.data["secrets"]`, which the store encrypts, dropped right after). Every reply
to a message that may carry it asks the channel to delete that message. Each attempt is counted
before it is checked (`PinLockout.attempt`), per identity and per conversation. A wrong secret
and an unknown identity get the same answer.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

from bot.backends.protocol import (
    AccountLocked,
    Customer,
    InvalidCredentials,
    LinkLogin,
    LoginExpired,
    OneTimeCodeRequired,
)
from bot.conversation.states import State
from bot.conversation.step import Step
from bot.conversation.turn import Next, Turn, reply
from bot.messages import Reply
from bot.oauth_requests import NoPendingLink, finish_with_code
from bot.phones import normalize_phone
from bot.sessions import Session
from bot.understanding.booking import read_booking
from bot.understanding.commands import read_command
from bot.understanding.secrets import read_code, read_pin

log = logging.getLogger(__name__)

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE_THEN_PIN = re.compile(r"^(.*\d.*?)\s+(\S+)$")

ABOUT = "I can show, book and cancel your bookings once you're logged in."


# --- what the bot asks --------------------------------------------------------------------------


def secret_word(turn: Turn) -> str:
    if turn.backend.login_method.kind == "link":
        return "code"
    return "password" if turn.backend.login_method.secret == "password" else "PIN"


def uses_email(turn: Turn) -> bool:
    return turn.backend.login_method.identifier == "email"


def welcome(turn: Turn) -> str:
    return f"Welcome to {turn.settings.business_name}."


def prompt_start(turn: Turn) -> Reply:
    return Reply("Send any message to log in.")


def prompt_identity(turn: Turn) -> Reply:
    if uses_email(turn):
        return Reply("Please send the email address of your account.")
    if turn.profile.buttons:
        return Reply(
            "Please send your phone number with its country code (e.g. +44 7700 900123), "
            "or tap the button to share it.",
            request_phone=True,
        )
    return Reply("Please send your phone number with its country code, e.g. +44 7700 900123.")


def prompt_pin(turn: Turn) -> Reply:
    if secret_word(turn) == "password":
        return Reply("Please send your password.")
    return Reply("Please send your PIN (4 to 12 digits).")


def prompt_code(turn: Turn) -> Reply:
    return Reply("Please send the 6-digit code we sent you.")


def prompt_link(turn: Turn) -> Reply:
    url = turn.session.data.get("link_url", "")
    return Reply(f"Open {url} to connect your account, then send the code it shows.".strip())


# --- START: whatever the first message says, find out who this is -----------------------------


def on_start(turn: Turn) -> list[Reply]:
    remember_task(turn)
    lead = [welcome(turn)]
    if turn.word == "HELP":
        lead.append(ABOUT)
    if turn.backend.login_method.kind == "link":
        return start_link(turn, lead)
    identity = vouched_identity(turn)
    if identity and turn.profile.sender_is_identity:
        turn.session.identity = identity
        turn.goto(State.ASK_PIN)
        pin = read_pin(turn.text)
        if pin and not typed_identity(turn.text, turn):  # "1234" as the first SMS: the PIN
            return check_secret(turn, pin)
        return [Reply(" ".join([*lead, f"Please reply with your {secret_word(turn)}."]))]
    if identity:  # a Telegram contact shared as the very first message
        return accept_identity(turn, identity)
    if together := identity_and_pin(turn):
        turn.session.identity = together[0]
        turn.goto(State.ASK_PIN)
        return check_secret(turn, together[1])
    if typed := typed_identity(turn.text, turn):
        [thanks] = accept_identity(turn, typed)
        return [Reply(f"{' '.join(lead)} {thanks.text}", delete_incoming=thanks.delete_incoming)]
    turn.goto(State.ASK_IDENTITY)
    ask = prompt_identity(turn)
    return [Reply(" ".join([*lead, ask.text]), request_phone=ask.request_phone)]


def remember_task(turn: Turn) -> None:
    """A task asked for before logging in ("cancel 2", "book a clean tomorrow 9am") is carried
    out right after: the table runs `Session.data["deferred"]` on Next.LOGGED_IN."""
    command = read_command(turn.text)
    if command and command[0] in ("BOOKINGS", "BOOK", "CANCEL", "TRACK"):
        turn.session.data["deferred"] = " ".join(command).strip()
    elif names_a_service(turn):
        turn.session.data["deferred"] = turn.text  # a booking: the menu reads it after login


def names_a_service(turn: Turn) -> bool:
    if len(turn.text.split()) < 2 or turn.word in ("START", "HELP", "MENU"):
        return False
    return read_booking(turn.text, turn.catalogue).service is not None


def vouched_identity(turn: Turn) -> str | None:
    """The sender's own number, when the platform vouches for it and the backend logs in by phone."""
    if uses_email(turn) or not turn.incoming.phone:
        return None
    return normalize_phone(turn.incoming.phone, turn.settings.phone_region)


def typed_identity(text: str, turn: Turn) -> str | None:
    """The phone number (or, for email backends, the address) the message is, if it is one."""
    if uses_email(turn):
        return text.lower() if EMAIL.fullmatch(text) else None
    return normalize_phone(text, turn.settings.phone_region)


def identity_and_pin(turn: Turn) -> tuple[str, str] | None:
    """ "+44 7700 900123 1234": a number and a PIN in one message."""
    match = PHONE_THEN_PIN.match(turn.text)
    if not match or turn.backend.login_method.secret != "pin":
        return None
    pin = read_pin(match.group(2))
    identity = typed_identity(match.group(1), turn)
    if pin is None or identity is None or typed_identity(turn.text, turn):
        return None
    return identity, pin


# --- ASK_IDENTITY -------------------------------------------------------------------------------


def on_identity(turn: Turn) -> list[Reply]:
    if together := identity_and_pin(turn):
        turn.session.identity = together[0]
        turn.goto(State.ASK_PIN)
        return check_secret(turn, together[1])
    identity = vouched_identity(turn) or typed_identity(turn.text, turn)
    if identity is None:
        what = "an email address" if uses_email(turn) else "a phone number"
        ask = prompt_identity(turn)
        return [
            Reply(
                f"That doesn't look like {what}. {ask.text}",
                request_phone=ask.request_phone,
                delete_incoming=read_pin(turn.text) is not None,
            )
        ]
    return accept_identity(turn, identity)


def accept_identity(turn: Turn, identity: str) -> list[Reply]:
    turn.session.identity = identity
    turn.goto(State.ASK_PIN)
    deleted = " I'll delete that message right away." if turn.profile.deletes_messages else ""
    ask = prompt_pin(turn).text.removeprefix("Please send")
    return [Reply(f"Thanks. Now send{ask}{deleted}")]


# --- ASK_PIN and ASK_CODE ----------------------------------------------------------------------


def on_pin(turn: Turn) -> list[Reply]:
    if not turn.session.identity:
        turn.goto(State.START)
        return on_start(turn)
    if secret_word(turn) == "password":
        password = turn.incoming.text.strip()
        if not password:
            return [hidden(turn, "Please send your password.")]
        return check_secret(turn, password)
    pin = read_pin(turn.text)
    if pin is None:
        return [hidden(turn, "A PIN is 4 to 12 digits, nothing else. Please try again.")]
    return check_secret(turn, pin)


def on_code(turn: Turn) -> list[Reply]:
    secrets = turn.session.data.get("secrets") or {}
    if not turn.session.identity or "secret" not in secrets:
        turn.session.data.pop("secrets", None)
        turn.goto(State.ASK_PIN if turn.session.identity else State.START)
        return [hidden(turn, prompt_pin(turn).text)]
    code = read_code(turn.text)
    if code is None:
        return [hidden(turn, "The code is 6 digits. Please send it again.")]
    return check_secret(turn, secrets["secret"], code)


def check_secret(turn: Turn, secret: str, code: str | None = None) -> list[Reply]:
    """Count the attempt, then ask the platform. The secret goes no further than this call."""
    session = turn.session
    identity = session.identity or ""
    identities = [f"id:{identity}", f"conv:{turn.incoming.key}"]
    if until := turn.lockout.attempt(identities, turn.now.timestamp()):
        log.info("conversation %s: login refused, locked out", turn.incoming.tag)
        session.data.pop("secrets", None)
        return [hidden(turn, locked_text(turn, until))]
    try:
        customer = turn.backend.login(identity, secret, one_time_code=code)
    except OneTimeCodeRequired:
        session.data["secrets"] = {"secret": secret}
        turn.goto(State.ASK_CODE)
        return [hidden(turn, f"One more step: {prompt_code(turn).text[7:]}")]
    except AccountLocked as locked:
        session.data.pop("secrets", None)
        turn.goto(State.ASK_PIN)
        minutes = f" for {locked.minutes} minutes" if locked.minutes else " for a while"
        return [
            hidden(
                turn,
                f"Your account is paused by our booking system{minutes} after too many tries. "
                "Please try again then.",
            )
        ]
    except InvalidCredentials:
        log.info("conversation %s: wrong secret or unknown identity", turn.incoming.tag)
        session.data.pop("secrets", None)
        turn.goto(State.ASK_PIN)
        if until := turn.lockout.locked_until(identities, turn.now.timestamp()):
            return [hidden(turn, locked_text(turn, until))]  # that was the last try
        return [hidden(turn, wrong_text(turn, code))]
    finally:
        if code is not None:
            session.data.pop("secrets", None)
    # The chat that proved the secret starts afresh; the identity's own attempts stay counted for
    # their 15 minutes, so a burst of guesses racing a successful login gets no fresh tries.
    turn.lockout.clear([f"conv:{turn.incoming.key}"])
    return logged_in(turn, customer)


def logged_in(turn: Turn, customer: Customer) -> list[Reply]:
    log.info("conversation %s: logged in as customer %s", turn.incoming.tag, customer.id)
    session = turn.session
    session.set_customer(customer)
    session.identity = None
    session.data.pop("secrets", None)
    session.data.pop("link_url", None)
    first = customer.name.split()[0] if customer.name else ""
    turn.next = Next.LOGGED_IN
    if turn.backend.login_method.kind == "link":
        return [hidden(turn, f"You're connected, {first}." if first else "You're connected.")]
    return [hidden(turn, f"Hi {first}, you're logged in." if first else "You're logged in.")]


def wrong_text(turn: Turn, code: str | None) -> str:
    if code is not None:
        return f"That code didn't work. Please send your {secret_word(turn)} again."
    what = "email" if uses_email(turn) else "number"
    text = f"That {what} and {secret_word(turn)} don't match our records. Please try again."
    if not turn.profile.sender_is_identity:
        text += f" Or send LOGOUT to use another {what}."
    return text


def locked_text(turn: Turn, until: float) -> str:
    local = datetime.fromtimestamp(until, UTC).astimezone(turn.settings.tz)
    return (
        f"Too many wrong {secret_word(turn)}s. For your security, logging in is paused until "
        f"{local:%H:%M}. Please try again then."
    )


def hidden(turn: Turn, text: str) -> Reply:
    """A reply to a message that may carry the secret: the channel deletes that message."""
    return reply(text, delete_incoming=True)


# --- link login (OAuth) -------------------------------------------------------------------------


def start_link(turn: Turn, lead: list[str]) -> list[Reply]:
    """Send a fresh authorisation link. Its request secret waits in `Turn.links` (bound to this
    conversation, once only, expiring), where the callback route on any worker finds it too."""
    backend = turn.backend
    if not isinstance(backend, LinkLogin) or turn.links is None:
        return [Reply("Sorry, logging in isn't possible here just now.")]
    authorization = backend.start_authorization(None)
    turn.links.save(turn.incoming.key, authorization, reply_from=turn.incoming.to)
    turn.session.data.pop("secrets", None)
    turn.session.data["link_url"] = authorization.url
    turn.goto(State.ASK_LINK)
    return [Reply(" ".join([*lead, prompt_link(turn).text]))]


def on_link(turn: Turn) -> list[Reply]:
    """The code car2go showed, typed into the chat that asked for the link."""
    backend = turn.backend
    if not isinstance(backend, LinkLogin) or turn.links is None:
        turn.goto(State.START)
        return on_start(turn)
    verifier = turn.text.strip()
    if not verifier or len(verifier) > 200:
        return [prompt_link(turn)]
    identities = [f"conv:{turn.incoming.key}"]
    if until := turn.lockout.attempt(identities, turn.now.timestamp()):
        return [hidden(turn, locked_text(turn, until))]
    try:
        customer = finish_with_code(turn.links, backend, turn.incoming.key, verifier)
    except NoPendingLink:
        [again] = start_link(turn, [])
        return [hidden(turn, f"That link has expired, so here is a new one. {again.text}")]
    except LoginExpired:  # car2go let the link go (expired, or access not granted on its page)
        [again] = start_link(turn, [])
        return [
            hidden(
                turn, f"That code wasn't accepted for this link. Here is a new one: {again.text}"
            )
        ]
    except InvalidCredentials:
        return [hidden(turn, f"That code didn't work. {prompt_link(turn).text}")]
    turn.lockout.clear(identities)
    return logged_in(turn, customer)


# --- before and after -----------------------------------------------------------------------------


def require(turn: Turn) -> list[Reply]:
    """A logged-in command while logged out: remember it, carry on with logging in."""
    remember_task(turn)
    if turn.session.state == State.START:
        return on_start(turn)
    state = turn.session.state
    again = {State.ASK_PIN: prompt_pin, State.ASK_CODE: prompt_code, State.ASK_LINK: prompt_link}
    ask = again.get(State(state), prompt_identity)(turn)
    ask_text = ask.text.removeprefix("Please s").strip()
    if ask_text != ask.text:
        ask_text = "S" + ask_text
    return [Reply(f"Please log in first. {ask_text}", request_phone=ask.request_phone)]


def log_in_again(turn: Turn) -> list[Reply]:
    """The platform dropped the login (LoginExpired): log in again; the draft is kept."""
    draft = turn.session.draft
    turn.session.__dict__.update(Session(draft=draft).__dict__)
    [ask] = ask_who(turn)
    if turn.backend.login_method.kind == "link":
        lead = "Your account is no longer connected (access ended or was withdrawn)."
        return [Reply(f"{lead} Please connect again. {ask.text}")]
    return [Reply(f"Please log in again. {ask.text}", request_phone=ask.request_phone)]


def ask_who(turn: Turn) -> list[Reply]:
    identity = vouched_identity(turn)
    if turn.backend.login_method.kind == "link":
        return start_link(turn, [])
    if identity and turn.profile.sender_is_identity:
        turn.session.identity = identity
        turn.goto(State.ASK_PIN)
        return [prompt_pin(turn)]
    turn.goto(State.ASK_IDENTITY)
    return [prompt_identity(turn)]


def logout(turn: Turn) -> list[Reply]:
    was_logged_in = turn.session.logged_in
    turn.session.__dict__.update(Session().__dict__)
    if was_logged_in:
        return [Reply("You're logged out. Goodbye! Send any message to log in again.")]
    return [Reply("Goodbye! Send any message to log in.")]


STEPS = {
    State.START: Step(on_start, prompt_start),
    State.ASK_IDENTITY: Step(on_identity, prompt_identity),
    State.ASK_PIN: Step(on_pin, prompt_pin),
    State.ASK_CODE: Step(on_code, prompt_code),
    State.ASK_LINK: Step(on_link, prompt_link),
}
