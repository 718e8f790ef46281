"""The common Telegram updates read straight from the body with msgspec, without building
python-telegram-bot's objects.

Only an update whose every field the bot reads is present with the type the Bot API documents is
read here (a private text message or a button press, as nearly every update is); anything else,
an update with media, a contact, a location or a caption, goes to `parse_update`, so the
lenient rules there decide whatever is unusual. The result is the same `ParsedUpdate` either way.
"""

from __future__ import annotations

import msgspec


class User(msgspec.Struct):
    id: int
    is_bot: bool
    first_name: str


class Chat(msgspec.Struct):
    id: int
    type: str


class Message(msgspec.Struct, rename={"sender": "from"}):
    message_id: int
    date: int
    chat: Chat
    sender: User | None = None
    text: str | None = None
    caption: msgspec.Raw | None = None
    contact: msgspec.Raw | None = None
    location: msgspec.Raw | None = None
    photo: msgspec.Raw | None = None
    document: msgspec.Raw | None = None
    video: msgspec.Raw | None = None
    voice: msgspec.Raw | None = None
    audio: msgspec.Raw | None = None
    sticker: msgspec.Raw | None = None
    animation: msgspec.Raw | None = None
    video_note: msgspec.Raw | None = None

    def plain(self) -> bool:
        """Nothing but text: no field the full reading treats specially."""
        return all(getattr(self, name) is None for name in SPECIAL)


SPECIAL = ("caption", "contact", "location", "photo", "document", "video", "voice", "audio")
SPECIAL += ("sticker", "animation", "video_note")
"""Message fields that only the full reading reads (media, contact, location)."""


class PressedOn(msgspec.Struct):
    """The message a button sits on (possibly an inaccessible one: `date` 0)."""

    message_id: int
    date: int
    chat: Chat


class CallbackQuery(msgspec.Struct, rename={"sender": "from"}):
    id: str
    sender: User
    chat_instance: str
    message: PressedOn | None = None
    data: str | None = None


_TOP = msgspec.json.Decoder(dict[str, msgspec.Raw])
_KINDS: dict[str, msgspec.json.Decoder] = {
    "message": msgspec.json.Decoder(Message),
    "edited_message": msgspec.json.Decoder(Message),
    "callback_query": msgspec.json.Decoder(CallbackQuery),
}
_UPDATE_ID = msgspec.json.Decoder(int)


def read(raw: bytes) -> tuple[int, str, Message | CallbackQuery] | None:
    """(update_id, kind, the one object) of a body the fast reading takes, else None."""
    try:
        top = _TOP.decode(raw)
        if len(top) != 2 or "update_id" not in top:
            return None
        kind = next(k for k in top if k != "update_id")
        decoder = _KINDS.get(kind)
        if decoder is None:
            return None
        value = decoder.decode(top[kind])
        update_id = _UPDATE_ID.decode(top["update_id"])
    except msgspec.DecodeError:
        return None
    if isinstance(value, Message) and (value.sender is None or not value.plain()):
        return None
    return update_id, kind, value
