"""Phone numbers as customers type them, turned into the form platforms expect."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers


@lru_cache(maxsize=8192)
def normalize_phone(text: str, region: str = "GB") -> str | None:
    """International digits without `+` or `00` ("447700900123"), or None if not a phone number.

    Accepts "+44 7700 900123", "07700 900123" (in `region`), "0044...", "447700900123" and
    "whatsapp:+44...".  Cached: every SMS checks its sender's number, and parsing is costly.
    """
    raw = text.strip().removeprefix("whatsapp:").strip()
    if not raw or len(raw) > 40:
        return None
    digits = "".join(ch for ch in raw if ch.isdigit())
    candidates: list[tuple[str, str | None]] = []
    if raw.startswith("+"):
        candidates.append((raw, None))
    elif digits.startswith("00"):
        candidates.append(("+" + digits[2:], None))
    else:
        candidates.append((raw, region))
        if not digits.startswith("0"):
            candidates.append(("+" + digits, None))  # typed with its country code, no "+"
    for candidate, candidate_region in candidates:
        try:
            number = phonenumbers.parse(candidate, candidate_region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number) and (
            phonenumbers.is_valid_number(number) or _reserved_for_fiction(number)
        ):
            formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            return formatted.removeprefix("+")
    return None


def _reserved_for_fiction(number: phonenumbers.PhoneNumber) -> bool:
    """Ofcom's 07700 900xxx and North America's 555-01xx numbers: used in demos and tests."""
    national = str(number.national_number)
    if number.country_code == 44:
        return national.startswith("7700900")
    if number.country_code == 1:
        return len(national) == 10 and national[3:7] in {"5550", "5551"}
    return False
