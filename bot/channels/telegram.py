"""Telegram: updates → Incoming, and Replies → Bot API method payloads (plain text).

Pure translation: no HTTP here. The webhook decides which payload rides in its response body and
which it sends through the Bot API itself.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from telegram import (
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
    User,
)

from bot.channels import telegram_fast as fast
from bot.messages import Incoming, Option, Reply, numbered

MAX_TEXT_UNITS = 4096
"""Longest message text, counted in UTF-16 code units after entity parsing
(https://core.telegram.org/bots/api#sendmessage)."""
MAX_CALLBACK_BYTES = 64
"""https://core.telegram.org/bots/api#inlinekeyboardbutton"""
LONG_LABEL = 30
"""A button wider than this is cut off on a phone: such options are listed in the text instead."""
ROW_WIDTH = 5
NUMBERED = "opt:"
"""Callback data of an option whose value is too long for a button: its number in the list."""
SHARE_PHONE = "Share my phone number"


@dataclass(frozen=True)
class ParsedUpdate:
    """What the webhook needs from one update body."""

    update_id: int | None
    incoming: Incoming | None
    """None when there is nothing for the conversation (other kinds, groups, bots, junk)."""
    callback_query_id: str | None = None
    """A button press to acknowledge, even when the press itself is unusable."""
    kind: str = "unknown"
    partial: bool = False
    """Read field by field because python-telegram-bot could not parse the whole update."""


def parse_body(raw: bytes) -> ParsedUpdate | None:
    """Read an update body as it came; None when it is not a JSON object at all.

    A private text message or a button press with every field the Bot API documents is read
    with msgspec (`telegram_fast`); everything else, by `parse_update`, with the same result."""
    found = fast.read(raw)
    if found is not None:
        update_id, kind, value = found
        if isinstance(value, fast.Message):
            return ParsedUpdate(update_id, _fast_message(update_id, value, kind), None, kind)
        return ParsedUpdate(update_id, _fast_press(update_id, value), value.id, kind)
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return parse_update(data) if isinstance(data, dict) else None


def _fast_message(update_id: int, message: fast.Message, kind: str) -> Incoming | None:
    """As `_from_message` reads a message with nothing but text."""
    if message.sender is None or message.sender.is_bot or message.chat.type != "private":
        return None
    if not message.text:
        return None  # a service message (pinned, member joined, ...)
    return Incoming(
        channel="telegram",
        conversation=str(message.chat.id),
        text=message.text,
        message_id=_message_id(message.message_id),
        delivery_id=str(update_id),
        edited=kind == "edited_message",
    )


def _fast_press(update_id: int, query: fast.CallbackQuery) -> Incoming | None:
    """As `_from_callback` reads a button press."""
    if query.sender.is_bot:
        return None
    chat = query.message.chat if query.message is not None else None
    if chat is not None and chat.type != "private":
        return None
    return _press(update_id, chat.id if chat is not None else query.sender.id, query.data)


def parse_update(data: Mapping[str, Any]) -> ParsedUpdate:
    """Read an update body. Never raises: what cannot be read gives `incoming=None`.

    python-telegram-bot reads the whole update; when that fails (older payloads without `is_bot`,
    a `chat` without `type`, wrong types) the chat, text, message id and callback id are read
    field by field, so the customer still gets an answer and a button press is still answered.
    """
    kind = next((k for k in data if k != "update_id"), "unknown")
    update_id = _int(data.get("update_id"))
    query = data.get("callback_query")
    callback_id = _str(query.get("id")) if isinstance(query, Mapping) else None
    if update_id is None:
        return ParsedUpdate(None, None, callback_id, kind)
    try:
        incoming = incoming_from_update(Update.de_json(dict(data), None))
    except Exception:  # any shape python-telegram-bot cannot read: read what can be read
        return ParsedUpdate(update_id, _incoming_from_fields(data), callback_id, kind, True)
    return ParsedUpdate(update_id, incoming, callback_id, kind)


def incoming_from_update(update: Update) -> Incoming | None:
    """The neutral message, or None for what the bot does not handle (other update kinds,
    other bots, group chats, service messages, fields of the wrong type)."""
    update_id = _int(update.update_id)
    if update_id is None:
        return None
    if update.message is not None:
        return _from_message(update_id, update.message, edited=False)
    if update.edited_message is not None:
        return _from_message(update_id, update.edited_message, edited=True)
    if update.callback_query is not None:
        return _from_callback(update_id, update.callback_query)
    return None


def _from_message(update_id: int, message: Message, *, edited: bool) -> Incoming | None:
    sender, chat = message.from_user, message.chat
    if not isinstance(sender, User) or not isinstance(chat, Chat):
        return None
    if sender.is_bot is not False or chat.type != "private" or _int(chat.id) is None:
        return None
    phone = None
    contact = message.contact
    if contact is not None and contact.user_id == sender.id and _str(contact.phone_number):
        phone = contact.phone_number  # only the sender's own number is vouched for
    location = None
    if message.location is not None:
        latitude, longitude = message.location.latitude, message.location.longitude
        if _number(latitude) and _number(longitude):
            location = (float(latitude), float(longitude))
    has_media = any(
        (
            message.photo,
            message.document,
            message.video,
            message.voice,
            message.audio,
            message.sticker,
            message.animation,
            message.video_note,
        )
    )
    text = _str(message.text) or _str(message.caption) or ""
    if not (text or phone or location or has_media or contact is not None):
        return None  # a service message (pinned, member joined, ...)
    return Incoming(
        channel="telegram",
        conversation=str(chat.id),
        text=text,
        phone=phone,
        location=location,
        message_id=_message_id(message.message_id),
        delivery_id=str(update_id),
        has_media=has_media,
        edited=edited,
    )


def _from_callback(update_id: int, query: CallbackQuery) -> Incoming | None:
    sender = query.from_user
    if not isinstance(sender, User) or sender.is_bot is not False or _int(sender.id) is None:
        return None
    message = query.message
    chat = message.chat if message is not None else None
    if chat is not None and (not isinstance(chat, Chat) or _int(chat.id) is None):
        return None
    if chat is not None and chat.type != "private":
        return None
    return _press(update_id, chat.id if chat is not None else sender.id, query.data)


def _press(update_id: int, chat_id: int, data: Any) -> Incoming | None:
    data = _str(data)
    if data is None:
        return None
    text, button = "", data
    number = data.removeprefix(NUMBERED)
    if data.startswith(NUMBERED) and number.isdigit():
        text, button = number, None  # read as if the customer typed the option's number
    # message_id stays None: the message a button sits on is the bot's own, never to be deleted
    return Incoming(
        channel="telegram",
        conversation=str(chat_id),
        text=text,
        button=button,
        delivery_id=str(update_id),
    )


def _incoming_from_fields(data: Mapping[str, Any]) -> Incoming | None:
    """Chat, text and message id of a message, or chat and data of a button press, read
    without python-telegram-bot. Only private chats with a human sender, as above."""
    update_id = _int(data.get("update_id"))
    if update_id is None:
        return None
    for key, edited in (("message", False), ("edited_message", True)):
        message = data.get(key)
        if isinstance(message, Mapping):
            chat_id = _private_chat(message.get("chat"), message.get("from"))
            text = _str(message.get("text")) or _str(message.get("caption"))
            if chat_id is None or not text:
                return None
            return Incoming(
                channel="telegram",
                conversation=str(chat_id),
                text=text,
                message_id=_message_id(message.get("message_id")),
                delivery_id=str(update_id),
                edited=edited,
            )
    query = data.get("callback_query")
    if not isinstance(query, Mapping):
        return None
    sender = query.get("from")
    message = query.get("message")
    if isinstance(message, Mapping) and "chat" in message:
        chat_id = _private_chat(message.get("chat"), sender)
    else:
        chat_id = _private_chat({"id": _field(sender, "id"), "type": "private"}, sender)
    return _press(update_id, chat_id, query.get("data")) if chat_id is not None else None


def _private_chat(chat: Any, sender: Any) -> int | None:
    """The chat id of a private chat with a human, else None. Older payloads have no chat
    `type`; a private chat's id is then its user's id."""
    chat_id, sender_id = _int(_field(chat, "id")), _int(_field(sender, "id"))
    if chat_id is None or sender_id is None or _field(sender, "is_bot") is True:
        return None
    chat_type = _field(chat, "type")
    if chat_type == "private" or (chat_type is None and chat_id == sender_id):
        return chat_id
    return None


def _field(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, Mapping) else None


def _int(value: Any) -> int | None:
    """An integer id as Telegram sends it (never a bool, a float or a string)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _message_id(value: Any) -> str | None:
    """A deletable message id: a positive integer, else None (nothing to delete)."""
    number = _int(value)
    return str(number) if number is not None and number > 0 else None


def callback_query_id(update: Update) -> str | None:
    query = update.callback_query
    return _str(query.id) if query is not None else None


def render_methods(
    replies: list[Reply], incoming: Incoming, *, callback_query_id: str | None = None
) -> list[dict[str, Any]]:
    """Bot API calls in the order they must happen. Texts go as plain text (no `parse_mode`), so
    whatever a customer typed is shown exactly as typed and can never become markup."""
    chat_id = _chat_id(incoming.conversation)
    methods: list[dict[str, Any]] = []
    if callback_query_id:
        methods.append({"method": "answerCallbackQuery", "callback_query_id": callback_query_id})
    if incoming.message_id and any(r.delete_incoming for r in replies):
        methods.append(
            {"method": "deleteMessage", "chat_id": chat_id, "message_id": int(incoming.message_id)}
        )
    for reply in replies:
        methods += _send_messages(reply, chat_id)
    return methods


def _send_messages(reply: Reply, chat_id: int | str) -> list[dict[str, Any]]:
    text = reply.text
    listed = reply.request_phone or any(len(o.label) > LONG_LABEL for o in reply.options)
    if reply.options and listed:
        lines = [f"{n}. {o.label}" for n, o in numbered(reply.options)]
        text = "\n".join([text, *lines]) if text else "\n".join(lines)
    if not text.strip():
        if not reply.options:
            return []
        text = "Please choose:"
    chunks = split_text(text)
    methods = [{"method": "sendMessage", "chat_id": chat_id, "text": chunk} for chunk in chunks]
    methods[-1]["reply_markup"] = _markup(reply.options, reply.request_phone, listed)
    return methods


@functools.lru_cache(maxsize=4096)
def _markup(options: tuple[Option, ...], request_phone: bool, as_numbers: bool) -> dict[str, Any]:
    """The reply markup (shared between calls: never changed once made). The menu and each
    customer's list come again and again, and building the markup objects is a fair part of a
    message's CPU."""
    if request_phone:
        button = KeyboardButton(SHARE_PHONE, request_contact=True)
        keyboard = ReplyKeyboardMarkup([[button]], one_time_keyboard=True, resize_keyboard=True)
        return keyboard.to_dict()
    if not options:
        # a contact-sharing keyboard shown earlier would otherwise stay up
        return ReplyKeyboardRemove().to_dict()
    if as_numbers:
        buttons = [
            InlineKeyboardButton(str(n), callback_data=callback_data(o, n))
            for n, o in numbered(options)
        ]
        rows = math.ceil(len(buttons) / ROW_WIDTH)
        width = math.ceil(len(buttons) / rows)
        grid = [buttons[i : i + width] for i in range(0, len(buttons), width)]
    else:
        grid = [
            [InlineKeyboardButton(o.label, callback_data=callback_data(o, n))]
            for n, o in numbered(options)
        ]
    return InlineKeyboardMarkup(grid).to_dict()


def callback_data(option: Option, number: int) -> str:
    if len(option.value.encode()) <= MAX_CALLBACK_BYTES:
        return option.value
    return f"{NUMBERED}{number}"


def split_text(text: str, limit: int = MAX_TEXT_UNITS) -> list[str]:
    """Pieces of at most `limit` UTF-16 code units, cut at a line break where there is one."""
    chunks = []
    rest = text
    while _units(rest) > limit:
        cut = _prefix_length(rest, limit)
        newline = rest.rfind("\n", 0, cut)
        if newline > cut // 2:
            cut = newline
        chunks.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    chunks.append(rest)
    return [c for c in chunks if c] or [""]


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _prefix_length(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` UTF-16 code units."""
    units = 0
    for index, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def _chat_id(conversation: str) -> int | str:
    return int(conversation) if conversation.lstrip("-").isdigit() else conversation
