"""Telegram: updates → Incoming, and Replies → Bot API method payloads (HTML parse mode).

Pure translation: no HTTP here. The webhook decides which payload rides in its response body and
which it sends through the Bot API itself.
"""

from __future__ import annotations

import html
import math
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

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


def incoming_from_update(update: Update) -> Incoming | None:
    """The neutral message, or None for what the bot does not handle (other update kinds,
    other bots, group chats, service messages)."""
    if update.message is not None:
        return _from_message(update.update_id, update.message)
    if update.callback_query is not None:
        return _from_callback(update)
    return None


def _from_message(update_id: int, message: Message) -> Incoming | None:
    sender = message.from_user
    if sender is None or sender.is_bot or message.chat.type != "private":
        return None
    phone = None
    if message.contact is not None and message.contact.user_id == sender.id:
        phone = message.contact.phone_number  # only the sender's own number is vouched for
    location = None
    if message.location is not None:
        location = (message.location.latitude, message.location.longitude)
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
    text = message.text or message.caption or ""
    if not (text or message.contact or location or has_media):
        return None  # a service message (pinned, member joined, ...)
    return Incoming(
        channel="telegram",
        conversation=str(message.chat.id),
        text=text,
        phone=phone,
        location=location,
        message_id=str(message.message_id),
        delivery_id=str(update_id),
        has_media=has_media,
    )


def _from_callback(update: Update) -> Incoming | None:
    query = update.callback_query
    assert query is not None
    if query.from_user.is_bot or query.data is None:
        return None
    chat = query.message.chat if query.message is not None else None
    if chat is not None and chat.type != "private":
        return None
    conversation = str(chat.id if chat is not None else query.from_user.id)
    text, button = "", query.data
    number = query.data.removeprefix(NUMBERED)
    if query.data.startswith(NUMBERED) and number.isdigit():
        text, button = number, None  # read as if the customer typed the option's number
    # message_id stays None: the message a button sits on is the bot's own, never to be deleted
    return Incoming(
        channel="telegram",
        conversation=conversation,
        text=text,
        button=button,
        delivery_id=str(update.update_id),
    )


def callback_query_id(update: Update) -> str | None:
    return update.callback_query.id if update.callback_query is not None else None


def render_methods(
    replies: list[Reply], incoming: Incoming, *, callback_query_id: str | None = None
) -> list[dict[str, Any]]:
    """Bot API calls in the order they must happen. Customer text is HTML-escaped; button
    labels are not, as Telegram shows them verbatim."""
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
    methods = [
        {"method": "sendMessage", "chat_id": chat_id, "text": html.escape(chunk, quote=False)}
        for chunk in chunks
    ]
    for method in methods:
        method["parse_mode"] = "HTML"
    methods[-1]["reply_markup"] = _markup(reply, as_numbers=listed)
    return methods


def _markup(reply: Reply, *, as_numbers: bool) -> dict[str, Any]:
    if reply.request_phone:
        button = KeyboardButton(SHARE_PHONE, request_contact=True)
        keyboard = ReplyKeyboardMarkup([[button]], one_time_keyboard=True, resize_keyboard=True)
        return keyboard.to_dict()
    if not reply.options:
        # a contact-sharing keyboard shown earlier would otherwise stay up
        return ReplyKeyboardRemove().to_dict()
    if as_numbers:
        buttons = [
            InlineKeyboardButton(str(n), callback_data=callback_data(o, n))
            for n, o in numbered(reply.options)
        ]
        rows = math.ceil(len(buttons) / ROW_WIDTH)
        width = math.ceil(len(buttons) / rows)
        grid = [buttons[i : i + width] for i in range(0, len(buttons), width)]
    else:
        grid = [
            [InlineKeyboardButton(o.label, callback_data=callback_data(o, n))]
            for n, o in numbered(reply.options)
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
