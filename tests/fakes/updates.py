"""Telegram update JSON shaped as the Bot API sends it (https://core.telegram.org/bots/api#update)."""

from __future__ import annotations

import itertools
from typing import Any

BOT_ID = 7000000001


class TelegramUser:
    """One customer in a private chat with the bot: each builder gives the next update."""

    def __init__(self, user_id: int = 424242, first_name: str = "Alex", start: int = 1) -> None:
        self.user_id = user_id
        self.first_name = first_name
        self._update_ids = itertools.count(start * 1000)
        self._message_ids = itertools.count(start * 100)
        self.last_message_id = 0

    @property
    def chat_id(self) -> int:
        return self.user_id  # a private chat's id is the user's id

    def sender(self) -> dict[str, Any]:
        return {"id": self.user_id, "is_bot": False, "first_name": self.first_name}

    def chat(self) -> dict[str, Any]:
        return {"id": self.chat_id, "type": "private", "first_name": self.first_name}

    def _message(self, **content: Any) -> dict[str, Any]:
        self.last_message_id = next(self._message_ids)
        return {
            "update_id": next(self._update_ids),
            "message": {
                "message_id": self.last_message_id,
                "from": self.sender(),
                "chat": self.chat(),
                "date": 1795000000,
                **content,
            },
        }

    def text(self, text: str) -> dict[str, Any]:
        update = self._message(text=text)
        if text.startswith("/"):
            command = text.split()[0]
            update["message"]["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(command)}
            ]
        return update

    def contact(self, phone: str, user_id: int | None = None) -> dict[str, Any]:
        """A shared contact: the customer's own unless `user_id` says whose."""
        owner = self.user_id if user_id is None else user_id
        return self._message(
            contact={"phone_number": phone, "first_name": self.first_name, "user_id": owner}
        )

    def location(self, latitude: float, longitude: float) -> dict[str, Any]:
        return self._message(location={"latitude": latitude, "longitude": longitude})

    def photo(self, caption: str | None = None) -> dict[str, Any]:
        size = {"file_id": "AgAD", "file_unique_id": "AQAD", "width": 90, "height": 90}
        content: dict[str, Any] = {"photo": [size]}
        if caption is not None:
            content["caption"] = caption
        return self._message(**content)

    def press(self, data: str, on_message_id: int = 555) -> dict[str, Any]:
        """A press of an inline button with `data`, on the bot's message `on_message_id`."""
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": f"cb{next(self._message_ids)}",
                "from": self.sender(),
                "chat_instance": "-100200300",
                "data": data,
                "message": {
                    "message_id": on_message_id,
                    "from": {"id": BOT_ID, "is_bot": True, "first_name": "Demo"},
                    "chat": self.chat(),
                    "date": 1795000000,
                    "text": "…",
                },
            },
        }

    def edited(self, text: str) -> dict[str, Any]:
        update = self._message(text=text)
        update["edited_message"] = update.pop("message")
        update["edited_message"]["edit_date"] = 1795000100
        return update


def from_bot(text: str, update_id: int = 99) -> dict[str, Any]:
    bot = {"id": BOT_ID, "is_bot": True, "first_name": "Demo"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "from": bot,
            "chat": {"id": 424242, "type": "private"},
            "date": 1795000000,
            "text": text,
        },
    }


def in_group(text: str, update_id: int = 98) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "from": {"id": 424242, "is_bot": False, "first_name": "Alex"},
            "chat": {"id": -100123, "type": "supergroup", "title": "Friends"},
            "date": 1795000000,
            "text": text,
        },
    }
