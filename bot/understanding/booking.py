"""Reading a whole booking from one message: "standard clean tomorrow 10am at 12 High St, London".

The time phrase is cut out first (it is the easiest to recognise), then the place ("at ...",
"from ... to ...", or a part that starts with a house number), then the frequency; the service is
matched on what is left, so words of an address ("12 City Road") don't pick a service. Whatever
the message does not carry stays None and is asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.backends.protocol import Catalogue, Frequency, Service
from bot.understanding.catalogue import find_frequency, match_service, read_extras

_DAY = r"(?:today|tonight|tomorrow|tmrw?|tmw|(?:(?:next|this)\s+)?(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?)"
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)[a-z]*"
_DATE = (
    r"(?:\d{1,2}/\d{1,2}(?:/\d{2,4})?"
    r"|\d{4}-\d{2}-\d{2}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?"
    r"|(?:the\s+)?\d{1,2}(?:st|nd|rd|th))"
)
_CLOCK = (
    r"(?:\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)"
    r"|\d{1,2}:\d{2}"
    r"|\d{1,2}\s*o'?clock"
    r"|noon|midday|midnight"
    r"|(?:in\s+the\s+)?(?:morning|afternoon|evening))"
)
_RELATIVE = r"(?:in\s+(?:an?|\d+)\s+(?:min(?:ute)?s?|hours?|hrs?|days?|weeks?)|next\s+week)"
_PART = rf"(?:{_DAY}|{_DATE}|{_CLOCK}|{_RELATIVE})"
_TIME = re.compile(
    rf"(?<![\w/:.-])(?:(?:on|at|@|for)\s+)?{_PART}(?:\s*,?\s*(?:(?:at|on|@)\s+)?{_PART})*(?![\w/:])",
    re.I,
)
_FROM_TO = re.compile(r"\bfrom\s+([^|]+?)\s+to\s+([^|]+)", re.I)
_TO = re.compile(r"\bto\s+([^|]+)", re.I)
_FROM = re.compile(r"\bfrom\s+([^|]+)", re.I)
_AT = re.compile(r"\b(?:at|address:?)\s+(?=[\w])([^|]+)", re.I)
_HOUSE = re.compile(r"(?<![\w/:.])(\d+[a-z]?,?\s+[a-z][^|]*)", re.I)
_WITH = re.compile(r"\b(?:with|plus)\s+([^|]+?)\s*(?=\||$)", re.I)
CUT = " | "


@dataclass
class Carried:
    """What one message said about a booking; None where it said nothing."""

    service: Service | None = None
    frequency: Frequency | None = None
    extras: dict[str, int] | None = None
    time_text: str | None = None
    address: str | None = None
    pickup: str | None = None
    dropoff: str | None = None
    rest: list[str] = field(default_factory=list)

    def carries_anything(self) -> bool:
        return any(
            v is not None
            for v in (
                self.service,
                self.frequency,
                self.extras,
                self.time_text,
                self.address,
                self.pickup,
                self.dropoff,
            )
        )


def find_time(text: str) -> tuple[str | None, str]:
    """The time phrase(s) of `text` joined, and the text with them cut out."""
    found = [m.group(0).strip() for m in _TIME.finditer(text)]
    if not found:
        return None, text
    return " ".join(found), _TIME.sub(CUT, text)


def _cut(text: str, match: re.Match[str]) -> str:
    return text[: match.start()] + CUT + text[match.end() :]


def _part(value: str) -> str | None:
    value = value.strip(" ,.;|")
    return value or None


def read_booking(text: str, catalogue: Catalogue, service: Service | None = None) -> Carried:
    """Everything `text` carries. `service` is the one already chosen, if any."""
    carried = Carried()
    time_text, rest = find_time(f" {text} ")
    carried.time_text = time_text

    # how often first: "12 High St weekly" is an address and a frequency
    if found := find_frequency(rest, catalogue.frequencies):
        carried.frequency = found[0]
        rest = rest.replace(found[1], CUT, 1)

    if match := _FROM_TO.search(rest):
        carried.pickup, carried.dropoff = _part(match.group(1)), _part(match.group(2))
        rest = _cut(rest, match)
    elif match := _AT.search(rest):
        carried.address = _part(match.group(1))
        rest = _cut(rest, match)

    with_clause = _WITH.search(rest)
    if with_clause:
        rest = _cut(rest, with_clause)

    carried.service = match_service(rest.replace("|", " "), catalogue.services)
    kind_of = carried.service or service
    if kind_of is not None and with_clause and kind_of.extras:
        extras = read_extras(with_clause.group(1), kind_of.extras)
        if isinstance(extras, dict):
            carried.extras = extras

    if kind_of is not None and kind_of.kind == "ride":
        if carried.address and not carried.pickup:
            # "at 12 High St to Heathrow": the place was read as one address
            pickup, *dropoff = re.split(r"\s+to\s+", carried.address, maxsplit=1, flags=re.I)
            carried.pickup, carried.address = _part(pickup), None
            if dropoff and carried.dropoff is None:
                carried.dropoff = _part(dropoff[0])
        if carried.dropoff is None and (match := _TO.search(rest)):
            carried.dropoff = _part(match.group(1))
            rest = _cut(rest, match)
        if carried.pickup is None and (match := _FROM.search(rest)):
            carried.pickup = _part(match.group(1))
            rest = _cut(rest, match)
    elif carried.address is None and carried.pickup is None and (match := _HOUSE.search(rest)):
        carried.address = _part(match.group(1))
        rest = _cut(rest, match)
    if kind_of is not None and kind_of.kind == "address" and carried.pickup:
        carried.pickup = carried.dropoff = None  # "from ... to ..." means nothing for a clean
    carried.rest = [p.strip() for p in rest.split("|") if p.strip()]
    return carried
