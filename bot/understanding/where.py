"""Reading an address (or a ride's pickup and dropoff) from free text or a shared location.

The whole text is kept as the address; the city and the postcode (UK) or ZIP code (US) are picked
out when they can be, because platforms such as Launch27 take them as separate fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UK_POSTCODE = re.compile(r"\b([A-Z]{1,2}\d[A-Z\d]?)\s*(\d[A-Z]{2})\b", re.I)
US_ZIP = re.compile(r"\b\d{5}(?:-\d{4})?\b")
US_STATE = re.compile(r"^[A-Z]{2}$")
MAX_LENGTH = 200
"""Longer than any real address; keeps replies (and SMS bills) in bounds."""


@dataclass(frozen=True)
class Place:
    text: str
    city: str | None = None
    postcode: str | None = None
    location: tuple[float, float] | None = None


_FILLER = re.compile(
    r"(?:^|[\s,]+)(?:instead|please|thanks|thank you|no extras|no note|the address is|it's|its)"
    r"(?=[\s,.!]|$)",
    re.I,
)


def without_filler(text: str) -> str:
    """The address without words around it: "instead", "please", "no extras"."""
    return _FILLER.sub(" ", text)


def clean(text: str) -> str:
    return " ".join(text.replace("\n", ", ").split()).strip(" ,.;")


def postcode_of(text: str) -> str | None:
    """A UK postcode ("KT1 1LQ", spaced properly) or a US ZIP code found in the text."""
    uk = list(UK_POSTCODE.finditer(text))
    if uk:
        outward, inward = uk[-1].groups()
        return f"{outward.upper()} {inward.upper()}"
    zips = US_ZIP.findall(text)
    if zips and "," in text:  # a bare five-digit number is more often a house number
        return zips[-1]
    return None


def city_of(text: str) -> str | None:
    """The town: the part after the street, before the postcode (and a US state code)."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) < 2:
        return None
    candidates = []
    for part in parts[1:]:
        rest = US_ZIP.sub("", UK_POSTCODE.sub("", part)).strip(" .")
        if rest and not US_STATE.match(rest) and not rest.isdigit():
            candidates.append(rest)
    if not candidates:
        return None
    city = candidates[-1]
    # "New York, NY 10036": the state code is dropped above, the city comes before it
    return re.sub(r"\s+[A-Z]{2}$", "", city) or None


def looks_like_address(text: str) -> bool:
    """Enough to find the door: some letters, and a number, a comma or at least two words."""
    if len(text) < 5 or not re.search(r"[A-Za-z]{2}", text):
        return False
    return bool(re.search(r"\d", text) or "," in text or len(text.split()) >= 2)


def looks_like_stop(text: str) -> bool:
    """A ride's pickup or dropoff may be a landmark: "Heathrow T5", "LHR"."""
    return len(text) >= 3 and bool(re.search(r"[A-Za-z]{2}", text))


def read_address(text: str) -> Place | None:
    """The address of a job done at one place, or None when the text can't be one."""
    text = clean(text)
    if len(text) > MAX_LENGTH or not looks_like_address(text):
        return None
    return Place(text, city_of(text), postcode_of(text))


def read_stop(text: str) -> Place | None:
    """A ride's pickup or dropoff, or None when the text can't be one."""
    text = clean(text)
    if len(text) > MAX_LENGTH or not looks_like_stop(text):
        return None
    return Place(text, city_of(text), postcode_of(text))


def from_location(latitude: float, longitude: float) -> Place:
    """A shared location (Telegram): 'Shared location 51.50, -0.12', coordinates kept exact."""
    return Place(
        f"Shared location {_coordinate(latitude)}, {_coordinate(longitude)}",
        location=(latitude, longitude),
    )


def _coordinate(value: float) -> str:
    text = f"{value:.5f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"
