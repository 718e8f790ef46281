"""What a channel can show, and what each character costs there: read by rendering and paging.

Flows never ask which channel they are on; they read the profile's facts (does the customer see
buttons, can they share a location, does every character cost) and the renderers read the rest
(character set, segment counting).

SMS: GSM-7 only, 160 characters a segment (153 each when split). A single character outside
GSM-7 switches the whole SMS to UCS-2 and cuts a segment to 70 characters, so SMS text is folded
into GSM-7. WhatsApp is billed per conversation, not per segment: it keeps every character.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
"""Characters sent as an escape plus one septet: each counts twice."""


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def segments(text: str) -> int:
    """How many SMS segments `text` is billed as (160/153 septets, or 70/67 UCS-2 characters)."""
    if is_gsm7(text):
        septets = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
        return 1 if septets <= 160 else math.ceil(septets / 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


@dataclass(frozen=True)
class Profile:
    name: str
    buttons: bool
    """Options are buttons the customer taps (else numbered lines they answer with a number)."""
    charset: Literal["gsm7", "unicode"]
    pays_per_segment: bool
    """Every 153 characters cost the customer or the business: say it in fewer words."""
    list_page: int
    """Most bookings on one page of a list."""
    list_segments: int | None = None
    """Where billed per segment: a page of a list stays within this many."""
    shares_location: bool = False
    deletes_messages: bool = False
    """The bot can delete the customer's message (a PIN must not stay on screen)."""
    sender_is_identity: bool = False
    """The platform vouches for the sender's phone number (SMS and WhatsApp `From`)."""
    opt_out_words: bool = False
    """The carrier acts on a bare STOP / CANCEL ... (Twilio on US and Canadian long codes)."""

    def fits(self, text: str, reserve: int = 0) -> bool:
        """Does a page of a list fit this channel's budget, with `reserve` characters to spare
        for a line put in front of it when it is shown again ("I can't find booking 99999.")?"""
        if self.list_segments is None:
            return True
        return segments(text + "x" * reserve) <= self.list_segments


SMS = Profile(
    "sms",
    buttons=False,
    charset="gsm7",
    pays_per_segment=True,
    list_page=5,
    list_segments=2,
    sender_is_identity=True,
    opt_out_words=True,
)
WHATSAPP = Profile(
    "whatsapp",
    buttons=False,
    charset="unicode",
    pays_per_segment=False,
    list_page=5,
    shares_location=True,
    sender_is_identity=True,
)
TELEGRAM = Profile(
    "telegram",
    buttons=True,
    charset="unicode",
    pays_per_segment=False,
    list_page=8,
    shares_location=True,
    deletes_messages=True,
)
CONSOLE = Profile("console", buttons=False, charset="unicode", pays_per_segment=False, list_page=8)

PROFILES = {p.name: p for p in (SMS, WHATSAPP, TELEGRAM, CONSOLE)}


def profile_of(channel: str) -> Profile:
    return PROFILES.get(channel, CONSOLE)
