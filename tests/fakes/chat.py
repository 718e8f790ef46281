"""A customer chatting with the engine, as the console would, for conversation tests."""

from __future__ import annotations

from typing import Any

from bot.channels.console import render
from bot.conversation.engine import Engine
from bot.messages import Incoming, Reply
from bot.sessions import Session

DEMO_PHONE = "447700900123"
DEMO_PIN = "1234"
OTHER_PHONE = "15555550123"
OTHER_PIN = "987654"


class Chat:
    """`chat.send("BOOKINGS")` returns the rendered answer; `chat.replies` the Reply objects."""

    def __init__(
        self,
        engine: Engine,
        channel: str = "sms",
        phone: str = DEMO_PHONE,
        conversation: str | None = None,
    ) -> None:
        self.engine = engine
        self.channel = channel
        self.phone = phone
        self.conversation = conversation or (phone if channel in ("sms", "whatsapp") else "42")
        self.replies: list[Reply] = []
        self.transcript: list[tuple[str, str]] = []

    def incoming(self, text: str = "", **fields: Any) -> Incoming:
        if self.channel in ("sms", "whatsapp"):
            fields.setdefault("phone", self.phone)
        return Incoming(channel=self.channel, conversation=self.conversation, text=text, **fields)

    def send(self, text: str = "", **fields: Any) -> str:
        self.replies = self.engine.handle(self.incoming(text, **fields))
        rendered = render(self.replies, self.channel)
        self.transcript.append((text, rendered))
        return rendered

    def press(self, label: str) -> str:
        """Press the button (Telegram) whose label starts with `label`."""
        for reply in reversed(self.replies):
            for option in reply.options:
                if option.label.startswith(label):
                    return self.send(button=option.value)
        raise AssertionError(f"no button {label!r} in {self.replies}")

    def login(self, pin: str = DEMO_PIN) -> str:
        if self.channel == "telegram":
            self.send("/start")
            self.send(self.phone)
        else:
            self.send("hi")
        return self.send(pin)

    @property
    def session(self) -> Session:
        return self.engine.store.load(f"{self.channel}:{self.conversation}")

    @property
    def options(self) -> list[str]:
        return [o.label for r in self.replies for o in r.options]
