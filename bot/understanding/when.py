"""Reading a start time from free text, checking it against the booking window, offering slots.

Pure functions: the caller passes `now` (the engine's clock) and the business's time zone, so the
same message reads the same way in tests as in production. Text is read with dateparser relative
to `now` in local time, preferring future dates and day-first dates ("24/11 9am" is 24 November).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import dateparser

from bot.backends.protocol import BookingWindow

Problem = Literal["unreadable", "ambiguous", "no_time", "past", "too_soon", "too_far", "closed"]

_TYPOS = {
    r"\btmrw?\b": "tomorrow",
    r"\btmw\b": "tomorrow",
    r"\btomoz\b": "tomorrow",
    r"\btonite\b": "tonight",
}
_BARE_HOUR = re.compile(r"\bat\s+(\d{1,2})\b(?![:./]\d)(?!\s*(?:am|pm|a\.m|p\.m|o'?clock))", re.I)
_DAY_THEN_HOUR = re.compile(
    r"\b(today|tomorrow|tonight|(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day)?)\s+"
    r"(\d{1,2})\b(?![:./]\d)(?!\s*(?:am|pm|a\.m|p\.m|o'?clock|st|nd|rd|th))",
    re.I,
)
"""'tomorrow 10': the hour, as 'tomorrow at 10' is."""
_OCLOCK = re.compile(r"\b(\d{1,2})\s*o'?clock\b", re.I)
_DOTTED = re.compile(r"\b(\d{1,2})\.(\d{2})\b(?!\.\d)")
_TIME_OF_DAY = re.compile(
    r"\d{1,2}\s*(?:am|pm|a\.m\.?|p\.m\.?)"
    r"|\b\d{1,2}:\d{2}\b"
    r"|\b(?:noon|midday|midnight|morning|afternoon|evening|tonight|now)\b"
    r"|\bin\s+(?:an?|\d+)\s+(?:min(?:ute)?s?|hours?|hrs?)\b",
    re.I,
)


@dataclass(frozen=True)
class Reading:
    """What a message said about the start: the moment understood (UTC) and what is wrong with it."""

    moment: datetime | None
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.moment is not None and self.problem is None


def local_now(now: datetime, tz: ZoneInfo) -> datetime:
    return now.astimezone(tz)


def _tidy(text: str) -> str:
    """Fix what dateparser misreads: "tmrw", "at 3" (3pm here), "10.30", "9 o'clock"."""
    out = text.strip().lower()
    for pattern, replacement in _TYPOS.items():
        out = re.sub(pattern, replacement, out)
    out = _OCLOCK.sub(lambda m: f"at {m.group(1)}", out)
    out = _DAY_THEN_HOUR.sub(lambda m: f"{m.group(1)} at {m.group(2)}", out)
    out = _BARE_HOUR.sub(lambda m: f"at {_guess_half_of_day(int(m.group(1)))}", out)

    def dotted(match: re.Match[str]) -> str:
        hour, minute = int(match.group(1)), int(match.group(2))
        # "10.30" is a time; "24.11" stays a date (day first). Times end in :00 or minutes > 12.
        if hour <= 23 and (minute == 0 or 12 < minute <= 59):
            return f"{hour}:{minute:02d}"
        return match.group(0)

    return _DOTTED.sub(dotted, out)


def _guess_half_of_day(hour: int) -> str:
    """A bare "at 3" means the afternoon for a business that opens in the morning."""
    if 1 <= hour <= 6:
        return f"{hour}pm"
    if 7 <= hour <= 11:
        return f"{hour}am"
    if hour == 12:
        return "12pm"
    if 13 <= hour <= 23:
        return f"{hour}:00"
    return str(hour)


MONTH_FIRST_REGIONS = frozenset({"US", "PH", "FM", "MH", "PW", "AS", "GU", "MP", "PR", "VI", "UM"})
"""Where "11/24" is 24 November: the US and the places that write dates its way."""


def date_order(region: str) -> str:
    """dateparser's DATE_ORDER for a phone region: "MDY" in the US, else day first."""
    return "MDY" if region.upper() in MONTH_FIRST_REGIONS else "DMY"


def parse(
    text: str, now: datetime, tz: ZoneInfo, order: str = "DMY"
) -> tuple[datetime | None, bool]:
    """The moment `text` names (UTC) and whether it named a time of day, or (None, False)."""
    tidy = _tidy(text)
    if not tidy or tidy.isdigit():
        return None, False
    settings = {
        "TIMEZONE": str(tz),
        "TO_TIMEZONE": "UTC",
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "future",
        "DATE_ORDER": order,
        "RELATIVE_BASE": local_now(now, tz).replace(tzinfo=None),
    }
    try:
        found = dateparser.parse(tidy, languages=["en"], settings=settings)
    except (ValueError, OverflowError):
        return None, False
    if found is None:
        return None, False
    moment = found.astimezone(UTC)
    if moment.second or moment.microsecond:  # "in 2 hours" at 10:00:37: the next whole minute
        moment = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return moment, bool(_TIME_OF_DAY.search(tidy))


def check(moment: datetime, now: datetime, tz: ZoneInfo, window: BookingWindow) -> Problem | None:
    """What rules this start out, in the order a customer would want to hear it."""
    if moment <= now:
        return "past"
    if moment < now + window.min_notice:
        return "too_soon"
    if moment > now + window.max_ahead:
        return "too_far"
    local = moment.astimezone(tz).time()
    if not window.opens <= local <= window.closes:
        return "closed"
    return None


def read(
    text: str, now: datetime, tz: ZoneInfo, window: BookingWindow, order: str = "DMY"
) -> Reading:
    """Read and check a start time typed by the customer (`order`: see `date_order`)."""
    if text.strip().isdigit():
        return Reading(None, "ambiguous")
    moment, has_time = parse(text, now, tz, order)
    if moment is None:
        return Reading(None, "unreadable")
    if not has_time:
        return Reading(moment, "no_time")
    if moment > now + window.max_ahead:
        # "24/11 9am" said after 9am on 24 Nov means today's, which has passed, not next year's
        earlier = _a_year_before(moment)
        if earlier is not None and now - timedelta(days=183) < earlier <= now:
            return Reading(earlier, "past")
    return Reading(moment, check(moment, now, tz, window))


def _a_year_before(moment: datetime) -> datetime | None:
    try:
        return moment.replace(year=moment.year - 1)
    except ValueError:  # 29 February
        return None


def slot_starts(
    window: BookingWindow, now: datetime, tz: ZoneInfo, since: datetime | None = None
) -> Iterator[datetime]:
    """Every valid start from `since` (or the earliest allowed) to the last one allowed, in order.

    Slots sit on the window's grid: opening time plus whole multiples of `slot_minutes`, local.
    """
    earliest = now + window.min_notice
    if since is not None and since > earliest:
        earliest = since
    latest = now + window.max_ahead
    step = timedelta(minutes=max(window.slot_minutes, 1))
    day: date = earliest.astimezone(tz).date()
    while True:
        opens = datetime.combine(day, window.opens, tzinfo=tz)
        closes = datetime.combine(day, window.closes, tzinfo=tz)
        if opens.astimezone(UTC) > latest:
            return
        moment = opens
        while moment <= closes:
            start = moment.astimezone(UTC)
            if start > latest:
                return
            if start >= earliest and start > now:
                yield start
            moment += step
        day += timedelta(days=1)


def suggest(
    window: BookingWindow,
    now: datetime,
    tz: ZoneInfo,
    near: datetime | None = None,
    count: int = 4,
    *,
    from_day: date | None = None,
) -> list[datetime]:
    """Valid starts to offer: the first ones, those of `from_day`, or those nearest to `near`."""
    if from_day is not None:
        since = datetime.combine(from_day, window.opens, tzinfo=tz).astimezone(UTC)
        found = _take(slot_starts(window, now, tz, since), count)
        return found or _take(slot_starts(window, now, tz), count)
    if near is None or near <= now + window.min_notice:
        return _take(slot_starts(window, now, tz), count)
    latest = now + window.max_ahead
    if near > latest:
        tail = _take(slot_starts(window, now, tz, latest - timedelta(days=2)), 10_000)
        return tail[-count:]
    around = []
    for start in slot_starts(window, now, tz, near - timedelta(days=1)):
        around.append(start)
        if sum(1 for s in around if s >= near) >= count:
            break
    nearest = sorted(around, key=lambda s: (abs((s - near).total_seconds()), s))[:count]
    return sorted(nearest)


def _take(starts: Iterator[datetime], count: int) -> list[datetime]:
    out = []
    for start in starts:
        out.append(start)
        if len(out) >= count:
            break
    return out


def show(moment: datetime, now: datetime, tz: ZoneInfo, *, with_time: bool = True) -> str:
    """'Tue 24 Nov 10:00' in local time, with the year when it is not this year's."""
    local = moment.astimezone(tz)
    day = f"{local:%a} {local.day} {local:%b}"
    if local.year != now.astimezone(tz).year:
        day += f" {local.year}"
    return f"{day} {local:%H:%M}" if with_time else day


def explain(reading: Reading, text: str, now: datetime, tz: ZoneInfo, window: BookingWindow) -> str:
    """One sentence on what was understood and why it can't be booked."""
    if reading.problem == "ambiguous":
        return f'I can\'t tell which day and time "{_quote(text)}" means.'
    if reading.moment is None or reading.problem == "unreadable":
        return f'Sorry, I couldn\'t read a time in "{_quote(text)}".'
    if reading.problem == "no_time":
        return f"I read that as {show(reading.moment, now, tz, with_time=False)}. What time?"
    said = f"I read that as {show(reading.moment, now, tz)}"
    if reading.problem == "past":
        return f"{said}, which is in the past."
    if reading.problem == "too_soon":
        return f"{said}, which is too soon: we need at least {_span(window.min_notice)}."
    if reading.problem == "too_far":
        return f"{said}, which is too far ahead: we book up to {_span(window.max_ahead)} ahead."
    if reading.problem == "closed":
        hours = f"{window.opens:%H:%M}-{window.closes:%H:%M}"
        return f"{said}, which is outside our hours ({hours})."
    return f"{said}."


def offer(
    reading: Reading, now: datetime, tz: ZoneInfo, window: BookingWindow, count: int = 4
) -> list[datetime]:
    """The slots to offer after `reading`: on the day named, near the time named, or the first."""
    if reading.problem == "no_time" and reading.moment is not None:
        return suggest(window, now, tz, count=count, from_day=reading.moment.astimezone(tz).date())
    return suggest(window, now, tz, reading.moment, count)


def _span(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes % 1440 == 0:
        count, unit = minutes // 1440, "day"
    elif minutes % 60 == 0:
        count, unit = minutes // 60, "hour"
    else:
        count, unit = minutes, "minute"
    return f"{count} {unit}{'' if count == 1 else 's'}"


def _quote(text: str, limit: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."
