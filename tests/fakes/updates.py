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


# Real payloads. The first three are the Bot API's own examples
# (https://core.telegram.org/bots/webhooks#testing-your-bot-with-updates): written before
# `is_bot` and the chat `type` were required, so python-telegram-bot cannot read them whole.
DOCS_START = {
    "update_id": 10000,
    "message": {
        "date": 1441645532,
        "chat": {
            "last_name": "Test Lastname",
            "id": 1111111,
            "first_name": "Test",
            "username": "Test",
        },
        "message_id": 1365,
        "from": {
            "last_name": "Test Lastname",
            "id": 1111111,
            "first_name": "Test",
            "username": "Test",
        },
        "text": "/start",
    },
}
DOCS_EDITED = {
    "update_id": 10001,
    "edited_message": {
        "date": 1441645532,
        "chat": {
            "last_name": "Test Lastname",
            "type": "private",
            "id": 1111111,
            "first_name": "Test",
            "username": "Test",
        },
        "message_id": 1366,
        "from": {
            "last_name": "Test Lastname",
            "id": 1111111,
            "first_name": "Test",
            "username": "Test",
        },
        "text": "Edited text",
        "edit_date": 1441646600,
    },
}
DOCS_CALLBACK = {
    "update_id": 10002,
    "callback_query": {
        "id": "4382bfdwdsb323b2d9",
        "from": {
            "last_name": "Test Lastname",
            "type": "private",
            "id": 1111111,
            "first_name": "Test",
            "username": "Test",
        },
        "data": "Data from button callback",
        "inline_message_id": "1234csdbsk4839",
    },
}
CHANNEL_POST = {
    "update_id": 10003,
    "channel_post": {
        "message_id": 7,
        "sender_chat": {"id": -1001234567890, "title": "News", "type": "channel"},
        "chat": {"id": -1001234567890, "title": "News", "type": "channel"},
        "date": 1795000000,
        "text": "1234",
    },
}
MY_CHAT_MEMBER = {
    "update_id": 10004,
    "my_chat_member": {
        "chat": {"id": 424242, "first_name": "Alex", "type": "private"},
        "from": {"id": 424242, "is_bot": False, "first_name": "Alex", "language_code": "en"},
        "date": 1795000000,
        "old_chat_member": {
            "user": {"id": BOT_ID, "is_bot": True, "first_name": "Demo", "username": "demo_bot"},
            "status": "member",
        },
        "new_chat_member": {
            "user": {"id": BOT_ID, "is_bot": True, "first_name": "Demo", "username": "demo_bot"},
            "status": "kicked",
            "until_date": 0,
        },
    },
}


def broken_updates(user: TelegramUser) -> dict[str, dict[str, Any]]:
    """Bodies that gave HTTP 500 before: each a real update with one field missing or of the
    wrong type."""
    no_chat = user.text("BOOKINGS")
    del no_chat["message"]["chat"]
    float_data = user.press("BOOKINGS")
    float_data["callback_query"]["data"] = 1.5
    no_from = user.press("BOOKINGS")
    del no_from["callback_query"]["from"]
    text_id = user.text("1234")
    text_id["message"]["message_id"] = "abc"
    return {
        "message-without-chat": no_chat,
        "callback-data-a-float": float_data,
        "callback-without-from": no_from,
        "message-id-abc": text_id,
    }
