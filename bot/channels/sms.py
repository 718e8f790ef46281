"""SMS and WhatsApp rendering: options as numbered lines, all replies in one message.

SMS: a single non-GSM-7 character (a curly quote, an emoji) switches a whole SMS to UCS-2 and
cuts a segment from 160 to 70 characters, so SMS text is folded into GSM-7 before it goes out.
WhatsApp keeps every character (its profile's character set is `unicode`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from bot.conversation.profile import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    SMS,
    Profile,
    is_gsm7,
    profile_of,
    segments,
)
from bot.messages import Reply, numbered

__all__ = ["is_gsm7", "profile_of", "render_text", "segments", "to_gsm7"]

TWILIO_MAX_CHARS = 1600

_REPLACEMENTS = {
    "‘": "'",
    "’": "'",
    "‚": "'",
    "′": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "″": '"',
    "–": "-",
    "—": "-",
    "‒": "-",
    "−": "-",
    "…": "...",
    "•": "-",
    "·": "-",
    "→": ">",
    "←": "<",
    "×": "x",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\t": " ",
    "`": "'",
}


def to_gsm7(text: str) -> str:
    """The same text in GSM-7 characters: quotes and dashes folded, accents dropped, emoji gone."""
    out: list[str] = []
    for ch in text:
        if ch in GSM7_BASIC or ch in GSM7_EXTENSION:
            out.append(ch)
        elif ch in _REPLACEMENTS:
            out.append(_REPLACEMENTS[ch])
        else:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
            )
            if base and all(c in GSM7_BASIC for c in base):
                out.append(base)
            elif unicodedata.category(ch)[0] in "LN":
                out.append("?")
            # symbols, emoji, joiners and variation selectors are dropped
    return "".join(out)


def render_text(replies: Iterable[Reply], profile: Profile = SMS) -> str:
    """All replies to one message as one body (one message costs less than several).
    Pass `profile_of("whatsapp")` for WhatsApp, which keeps every character."""
    blocks = []
    for reply in replies:
        lines = [reply.text] if reply.text else []
        lines += [f"{n} {option.label}" for n, option in numbered(reply.options)]
        blocks.append("\n".join(lines))
    body = "\n".join(b for b in blocks if b).strip()
    if profile.charset == "gsm7":
        body = to_gsm7(body).strip()
    if len(body) > TWILIO_MAX_CHARS:
        body = body[: TWILIO_MAX_CHARS - 3].rstrip() + "..."
    return body
