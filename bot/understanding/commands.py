"""Command words as customers type them: "bookngs", "cancle", "my bookings please", "/book".

Exact words first; then a near miss of a long command word (rapidfuzz ratio at least
`THRESHOLD`, words of 5 letters or more only), so "cancle" is CANCEL while "candle", "truck"
and "books" are not commands.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

COMMANDS = frozenset(
    {"BOOKINGS", "BOOK", "CANCEL", "TRACK", "MENU", "HELP", "LOGOUT", "START", "MORE"}
)
ALIASES = {
    "LIST": "BOOKINGS",
    "BOOKED": "BOOKINGS",
    "APPOINTMENTS": "BOOKINGS",
    "RESERVE": "BOOK",
    "SCHEDULE": "BOOK",
    "WHERE": "TRACK",
    "ETA": "TRACK",
    "SIGNOUT": "LOGOUT",
    "INFO": "HELP",
}
FUZZY_TARGETS = ("BOOKINGS", "CANCEL", "LOGOUT", "TRACK")
THRESHOLD = 82
MIN_FUZZY_LENGTH = 5

_LEAD = re.compile(
    r"^(?:(?:hi|hello|hey|ok|okay|please|pls|can|could|would|i|i'd|id|i'm|im|want|wanna|"
    r"like|need|to|you|me|let|lets|let's|show|see|view|check|all|my|the|a|an)\b[\s,!.]*)+",
    re.I,
)
_TAIL = re.compile(r"[\s,!.?]*\b(?:please|pls|thanks|thank you|now)[\s!.?]*$", re.I)
_TOKEN = re.compile(r"^/?([A-Za-z]+)(?:@\w+)?(?:[\s,]+(.*))?$", re.DOTALL)


def command_word(word: str) -> str | None:
    """The command `word` is, exactly, by alias, or as a near miss of a long command word."""
    word = word.upper()
    if word in COMMANDS:
        return word
    if word in ALIASES:
        return ALIASES[word]
    if len(word) < MIN_FUZZY_LENGTH:
        return None
    found = process.extractOne(word, FUZZY_TARGETS, scorer=fuzz.ratio, score_cutoff=THRESHOLD)
    return found[0] if found else None


def read_command(text: str) -> tuple[str, str] | None:
    """(COMMAND, what follows) for "cancel 2", "my bookings please", "I want to book a clean";
    None when the message is not a command."""
    text = text.strip()
    if not text:
        return None
    plain = _TAIL.sub("", _LEAD.sub("", text)).strip() or text
    for candidate in dict.fromkeys((text, plain)):
        match = _TOKEN.match(candidate)
        if match and (word := command_word(match.group(1))):
            return word, (match.group(2) or "").strip()
    return None
