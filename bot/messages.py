"""Channel-neutral message types: what a customer sent, and what the bot answers.

Channels (Telegram, SMS, console) translate their payloads to `Incoming` and render `Reply` lists
back; the conversation logic only ever sees these two types.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

Channel = Literal["telegram", "sms", "whatsapp", "console"]


@dataclass(frozen=True)
class Incoming:
    channel: Channel
    conversation: str
    """Chat id (Telegram) or the sender's number (SMS/WhatsApp)."""
    text: str = ""
    button: str | None = None
    """Value of a pressed button (Telegram callback data)."""
    phone: str | None = None
    """The sender's phone number when the platform vouches for it (SMS `From`, own Telegram contact)."""
    location: tuple[float, float] | None = None
    message_id: str | None = None
    delivery_id: str | None = None
    """Platform delivery id (Telegram `update_id`, Twilio `MessageSid`): a retry carries the same."""
    has_media: bool = False
    edited: bool = False
    """An edit of a message sent earlier (Telegram `edited_message`), not a new message."""
    to: str | None = None
    """The business number the customer wrote to (Twilio `To`): where a later message to this
    conversation is sent from (a car2go connection made through the callback)."""

    @property
    def key(self) -> str:
        """The conversation key: WhatsApp and SMS from one number are separate conversations."""
        return f"{self.channel}:{self.conversation}"

    @property
    def tag(self) -> str:
        """How logs name this conversation: see `chat_hash`."""
        return chat_hash(self.key)


@lru_cache(maxsize=4096)
def chat_hash(conversation_key: str) -> str:
    """A short stable name for a conversation in the logs that reveals neither the phone
    number nor the chat id: the same conversation always gets the same 12 hex digits."""
    return hashlib.sha256(conversation_key.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Option:
    label: str
    value: str
    number: int | None = None
    """The number this option always has (the menu's tasks); else its place in the list."""


@dataclass(frozen=True)
class Reply:
    text: str
    options: tuple[Option, ...] = ()
    request_phone: bool = False
    """Ask for the phone number (a contact-sharing button on Telegram)."""
    delete_incoming: bool = False
    """Delete the customer's message this answers (it carried a PIN)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "options": [
                [o.label, o.value] if o.number is None else [o.label, o.value, o.number]
                for o in self.options
            ],
            "request_phone": self.request_phone,
            "delete_incoming": self.delete_incoming,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        return cls(
            text=data["text"],
            options=tuple(Option(*item) for item in data.get("options", ())),
            request_phone=data.get("request_phone", False),
            delete_incoming=data.get("delete_incoming", False),
        )


def numbered(options: tuple[Option, ...]) -> list[tuple[int, Option]]:
    """Each option with the number the customer types for it: the fixed numbers when every
    option has one (the menu), else 1, 2, 3... in order."""
    if options and all(o.number is not None for o in options):
        return [(o.number or 0, o) for o in options]
    return list(enumerate(options, 1))
