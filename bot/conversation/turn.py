"""What one flow step gets to work with, and how it says where the conversation goes next.

A flow step returns its replies; where the conversation goes after them ("back to the menu",
"ask this state's question again", "carry on with the task asked for before logging in") is a
`Next` value the step sets on the turn, and the table carries it out. Flows never import each
other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.backends.protocol import BookingBackend, Catalogue, Customer
from bot.config import Settings
from bot.conversation.profile import Profile, profile_of
from bot.conversation.states import State
from bot.messages import Incoming, Option, Reply
from bot.oauth_requests import OAuthRequests
from bot.sessions import PinLockout, Session

MAX_TEXT = 1000
"""Longer messages are not read: nothing a customer needs to type is that long."""

_COMMAND = re.compile(r"^/?([A-Za-z]+)(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)


class Next(StrEnum):
    MENU = "menu"
    """The task is over: its text, then the menu, in one reply."""
    ASK_AGAIN = "ask_again"
    """Its text, then the current state's question again (the session is as it was)."""
    LOGGED_IN = "logged_in"
    """Logged in: carry on with the task asked for before logging in, else the menu."""
    LOG_IN_AGAIN = "log_in_again"
    """The platform no longer accepts the login: log in again, the draft kept."""
    COMMAND = "command"
    """Hand the customer's words to another task (`Turn.command`), as if they had sent it."""


@dataclass
class Turn:
    session: Session
    incoming: Incoming
    backend: BookingBackend
    settings: Settings
    now: datetime
    lockout: PinLockout
    choice: str | None = None
    """The value of the option chosen (button pressed, or its number typed), if any."""
    notices: list[str] = field(default_factory=list)
    """Lines to put in front of the first reply (e.g. "Your session timed out.")."""
    next: Next | None = None
    command: str | None = None
    """With Next.COMMAND: the command to run next ("BOOK deep clean tomorrow 9am")."""
    links: OAuthRequests | None = None
    """Authorisation links waiting for the customer (link login), shared by every worker."""
    profile: Profile = field(init=False)

    def __post_init__(self) -> None:
        self.profile = profile_of(self.incoming.channel)

    @property
    def text(self) -> str:
        return " ".join(self.incoming.text.split())[:MAX_TEXT]

    @property
    def word(self) -> str:
        """The first word, upper case, without a Telegram `/` or `@botname`: "CANCEL" of "cancel 2"."""
        return command_of(self.choice or self.text)[0]

    @property
    def args(self) -> str:
        """What follows the first word: "2" of "CANCEL 2"."""
        return command_of(self.choice or self.text)[1]

    @property
    def customer(self) -> Customer:
        return self.session.get_customer()

    @property
    def catalogue(self) -> Catalogue:
        return self.backend.catalogue()

    def goto(self, state: State) -> None:
        self.session.state = state


def command_of(text: str) -> tuple[str, str]:
    match = _COMMAND.match(text.strip())
    if not match:
        return "", text.strip()
    return match.group(1).upper(), (match.group(2) or "").strip()


def reply(text: str, *options: tuple[str, str] | Option, **kwargs: bool) -> Reply:
    """A Reply with options given as (label, value) pairs."""
    opts = tuple(o if isinstance(o, Option) else Option(*o) for o in options)
    return Reply(text=text, options=opts, **kwargs)


def to_menu(turn: Turn, text: str) -> list[Reply]:
    """`text`, then the menu: the task in progress is over."""
    turn.next = Next.MENU
    return [Reply(text)]


def ask_again(turn: Turn, text: str) -> list[Reply]:
    """`text`, then what the current state asks for."""
    turn.next = Next.ASK_AGAIN
    return [Reply(text)]


NOT_UNDERSTOOD = "Sorry, I didn't understand that."


def not_understood(turn: Turn, why: str = "") -> list[Reply]:
    return ask_again(turn, why or NOT_UNDERSTOOD)


def hand_to(turn: Turn, command: str) -> list[Reply]:
    """Run `command` ("BOOK tomorrow 9am") as if the customer had sent it."""
    turn.next, turn.command = Next.COMMAND, command
    return []
