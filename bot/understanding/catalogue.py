"""Matching what a customer typed to the catalogue: services, extras with quantities, frequencies.

"deep clean", "airport" and "ride" each name one service; "clean" alone names two and so none.
Words are compared loosely (case, plurals, "-ing"), whole words only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.backends.protocol import Extra, Frequency, Service

_WORD = re.compile(r"[a-z0-9]+")
_IGNORED = frozenset({"a", "an", "the", "and", "or", "of", "per", "with", "please", "x"})

_FREQUENCY_PHRASES: dict[int | None, tuple[str, ...]] = {
    None: ("one off", "once", "just once", "one time", "single", "no repeat", "not regular"),
    7: ("weekly", "every week", "each week", "once a week"),
    14: ("fortnightly", "every two weeks", "every 2 weeks", "every other week", "biweekly"),
    28: ("every four weeks", "every 4 weeks", "four weekly", "4 weekly"),
    30: ("monthly", "every month", "once a month"),
    31: ("monthly", "every month", "once a month"),
}


def stem(word: str) -> str:
    word = word.lower()
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 5 and word.endswith("er"):
        word = word[:-2]  # "cleaner" reads as "clean"
    return word


SYNONYMS: dict[str, tuple[str, ...]] = {
    "cab": ("ride",),
    "taxi": ("ride",),
    "minicab": ("ride",),
    "lift": ("ride",),
    "car": ("ride",),
    "heathrow": ("airport", "transfer"),
    "gatwick": ("airport", "transfer"),
    "stansted": ("airport", "transfer"),
    "luton": ("airport", "transfer"),
    "lhr": ("airport", "transfer"),
    "lgw": ("airport", "transfer"),
    "flight": ("airport", "transfer"),
}
"""Words people use for a kind of service: "cab to heathrow" is the airport transfer."""


def words(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in _IGNORED]


def said_words(text: str) -> set[str]:
    """The words of `text` and what they stand for."""
    found = set(words(text))
    for word in list(found):
        found.update(stem(w) for w in SYNONYMS.get(word, ()))
    return found


@dataclass(frozen=True)
class _Candidate:
    key: str
    words: frozenset[str]
    phrase: str


def _best(text: str, candidates: Sequence[_Candidate]) -> str | None:
    """The one candidate sharing most words with `text`; None when none or when tied."""
    said = said_words(text)
    joined = " ".join(words(text))
    scored = []
    for candidate in candidates:
        shared = len(candidate.words & said)
        if shared:
            exact = bool(candidate.phrase) and f" {candidate.phrase} " in f" {joined} "
            scored.append((shared + (0.5 if exact else 0), candidate.key))
    if not scored:
        return None
    scored.sort(reverse=True)
    if len(scored) > 1 and scored[0][0] == scored[1][0]:
        return None
    return scored[0][1]


def _candidates(items: Iterable[tuple[str, str]]) -> list[_Candidate]:
    out = []
    for key, name in items:
        name_words = words(name)
        out.append(
            _Candidate(key, frozenset(name_words) | frozenset(words(key)), " ".join(name_words))
        )
    return out


def match_service(text: str, services: Sequence[Service]) -> Service | None:
    """The service named by words in `text` ("Deep clean", "airport", "ride"), if exactly one."""
    key = _best(text, _candidates((s.id, s.name) for s in services))
    return next((s for s in services if s.id == key), None)


def match_extra(text: str, extras: Sequence[Extra]) -> Extra | None:
    key = _best(text, _candidates((e.id, e.name) for e in extras))
    return next((e for e in extras if e.id == key), None)


_QUANTITY_FIRST = re.compile(r"^(\d+)\s*x?\s+(.+)$", re.I)
_QUANTITY_LAST = re.compile(r"^(.+?)\s*(?:x\s*)?(\d+)$", re.I)


def read_extras(text: str, extras: Sequence[Extra]) -> dict[str, int] | str:
    """'2 oven, fridge' -> {"oven": 2, "fridge": 1}; or what could not be read, as a sentence."""
    chosen: dict[str, int] = {}
    for item in re.split(r",|;|&|\+|\band\b", text, flags=re.I):
        item = item.strip(" .")
        if not item:
            continue
        quantity = 1
        if match := _QUANTITY_FIRST.match(item):
            quantity, item = int(match.group(1)), match.group(2)
        elif match := _QUANTITY_LAST.match(item):
            item, quantity = match.group(1), int(match.group(2))
        extra = match_extra(item, extras)
        if extra is None:
            return f'I couldn\'t match "{item[:30]}" to an extra.'
        if not 1 <= quantity <= extra.max_quantity:
            if extra.max_quantity == 1:
                return f"{extra.name} can be added once."
            return f"{extra.name}: choose 1 to {extra.max_quantity}."
        chosen[extra.id] = quantity
    return chosen


def frequency_phrases(frequency: Frequency) -> tuple[str, ...]:
    own = (frequency.name.lower(), frequency.id.lower().replace("-", " "))
    return own + _FREQUENCY_PHRASES.get(frequency.interval_days, ())


def find_frequency(text: str, frequencies: Sequence[Frequency]) -> tuple[Frequency, str] | None:
    """The frequency a phrase in `text` names, with the phrase as written; longest phrase wins."""
    lowered = text.lower().replace("-", " ")
    found: list[tuple[int, Frequency, str]] = []
    for frequency in frequencies:
        for phrase in frequency_phrases(frequency):
            pattern = r"\b" + r"\s+".join(map(re.escape, phrase.split())) + r"\b"
            if match := re.search(pattern, lowered):
                found.append((len(phrase), frequency, text[match.start() : match.end()]))
    if not found:
        return None
    found.sort(key=lambda item: -item[0])
    return found[0][1], found[0][2]


def match_frequency(text: str, frequencies: Sequence[Frequency]) -> Frequency | None:
    found = find_frequency(text, frequencies)
    return found[0] if found else None
