"""SMS (and WhatsApp) rendering: GSM-7 only, options as numbered lines, as few segments as it takes.

A single non-GSM-7 character (a curly quote, an emoji) switches a whole SMS to UCS-2 and cuts a
segment from 160 to 70 characters, so replies are folded into GSM-7 before they go out.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable

from bot.messages import Reply

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
"""Characters sent as an escape plus one septet: each counts twice."""

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


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def segments(text: str) -> int:
    """How many SMS segments `text` is billed as (160/153 septets, or 70/67 UCS-2 characters)."""
    if is_gsm7(text):
        septets = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
        return 1 if septets <= 160 else math.ceil(septets / 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def render_text(replies: Iterable[Reply]) -> str:
    """All replies to one message as one SMS body (one message costs less than several)."""
    blocks = []
    for reply in replies:
        lines = [reply.text] if reply.text else []
        lines += [f"{n} {option.label}" for n, option in enumerate(reply.options, 1)]
        blocks.append("\n".join(lines))
    body = to_gsm7("\n".join(b for b in blocks if b)).strip()
    if len(body) > TWILIO_MAX_CHARS:
        body = body[: TWILIO_MAX_CHARS - 3].rstrip() + "..."
    return body
