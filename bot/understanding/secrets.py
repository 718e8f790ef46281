"""PINs and one-time codes in any script's digits: "١٢٣٤", "１２３４" and "12 34" are 1234."""

from __future__ import annotations

import re
import unicodedata

PIN_LENGTH = (4, 12)
CODE_LENGTH = 6
_SPACES = re.compile(r"[\s\-.]+")


def ascii_digits(text: str) -> str | None:
    """`text` as ASCII digits when it is only digits (of any script) and spaces; else None."""
    squeezed = _SPACES.sub("", unicodedata.normalize("NFKC", text))
    if not squeezed:
        return None
    out = []
    for ch in squeezed:
        value = unicodedata.digit(ch, None) if not ch.isascii() else None
        if ch.isascii() and ch.isdigit():
            out.append(ch)
        elif value is not None:
            out.append(str(value))
        else:
            return None
    return "".join(out)


def read_pin(text: str) -> str | None:
    digits = ascii_digits(text)
    low, high = PIN_LENGTH
    return digits if digits is not None and low <= len(digits) <= high else None


def read_code(text: str) -> str | None:
    digits = ascii_digits(text)
    return digits if digits is not None and len(digits) == CODE_LENGTH else None


def looks_like_pin(text: str) -> bool:
    return read_pin(text) is not None
