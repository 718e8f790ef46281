"""What one flow step gets to work with: the session, the message, the backend and the clock."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from bot.backends.protocol import BookingBackend, Catalogue, Customer
from bot.config import Settings
from bot.conversation.states import State
from bot.messages import Incoming, Option, Reply
from bot.sessions import PinLockout, Session

MAX_TEXT = 1000
"""Longer messages are not read: nothing a customer needs to type is that long."""

_COMMAND = re.compile(r"^/?([A-Za-z]+)(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)


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

    @property
    def sms(self) -> bool:
        """Replies go out as text messages, where every character costs."""
        return self.incoming.channel in ("sms", "whatsapp")

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
