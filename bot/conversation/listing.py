"""Lists of bookings, shared by BOOKINGS, CANCEL and TRACK (not a flow: flows import it).

Upcoming first, soonest at the top, a recurring series as one line ("Weekly Standard clean, next
Tue 1 Dec 10:00"), past bookings after, on request. A page holds the channel profile's number of
bookings within its budget (SMS: 5 in at most 2 segments), and MORE goes on to the next page.
The page shown is kept in `Session.data["page"]`, so it can be shown again without the backend.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.backends.protocol import Booking
from bot.conversation.formatting import booking_line, status_word, when
from bot.conversation.turn import Turn
from bot.messages import Option, Reply, numbered

LIMIT = 25
"""The platforms' own limit (Gazoop answers the last 25 bookings)."""
RESERVE = 28
"""Room kept on a page for a line put in front of it when it is shown again, such as "I can't
find booking 99999." and its newline."""
NOT_A_REFERENCE = frozenset({"BOOKING", "A BOOKING", "MY BOOKING", "BOOKINGS", "ONE", "PLEASE"})


def upcoming(found: list[Booking], now: datetime) -> list[Booking]:
    """Open bookings still ahead, soonest first, each series collapsed to its next booking."""
    ahead = sorted((b for b in found if b.ahead_at(now)), key=lambda b: b.start)
    seen: set[str] = set()
    out = []
    for booking in ahead:
        if booking.series_id:
            if booking.series_id in seen:
                continue
            seen.add(booking.series_id)
        out.append(booking)
    return out


def past(found: list[Booking], now: datetime) -> list[Booking]:
    """Everything else, most recent first."""
    ahead = {b.id for b in found if b.ahead_at(now)}
    return sorted((b for b in found if b.id not in ahead), key=lambda b: b.start, reverse=True)


def line(booking: Booking, tz: ZoneInfo, compact: bool) -> str:
    """One booking in a list; `compact` where every character costs."""
    if booking.recurring and booking.frequency and booking.start:
        text = (
            f"#{booking.id} {booking.frequency} {booking.service}, next {when(booking.start, tz)}"
        )
        return text if compact else f"{text}, {status_word(booking.status)}"
    if not compact:
        return booking_line(booking, tz)
    parts = [f"#{booking.id} {when(booking.start, tz)} {booking.service}"]
    if booking.status.value not in ("booked",):
        parts.append(status_word(booking.status))
    if booking.headline:
        parts.append(booking.headline)
    return ", ".join(parts)  # where: in its details, so five fit two segments


def show_page(
    turn: Turn,
    items: list[Booking],
    header: Callable[[int, int, int], str],
    *,
    offset: int = 0,
    extra: tuple[Option, ...] = (),
    found: int | None = None,
    starts_over: bool = False,
) -> Reply:
    """The page of `items` from `offset`, as many as the channel takes; remembers it.

    Paging past the end starts over at the top (`starts_over` says the caller did so); from a
    platform that keeps only its last `history_limit` bookings, it then says so when the
    platform answered that many (`found`, the whole list's length when not given)."""
    tz, compact = turn.settings.tz, turn.profile.pays_per_segment
    entries = [Option(line(b, tz, compact), b.id) for b in items]
    found = len(items) if found is None else found
    return show_entries(
        turn, entries, header, offset=offset, extra=extra, found=found, starts_over=starts_over
    )


def show_entries(
    turn: Turn,
    entries: list[Option],
    header: Callable[[int, int, int], str],
    *,
    offset: int = 0,
    extra: tuple[Option, ...] = (),
    found: int | None = None,
    starts_over: bool = False,
) -> Reply:
    """`show_page` for any list: one option (label, reference) per entry. Only a list of
    bookings (`found` given) says that the platform keeps just its last ones."""
    if offset >= len(entries):
        starts_over = starts_over or offset > 0
        offset = 0
    note = history_note(turn, found) if starts_over and found is not None else None
    profile = turn.profile
    count = min(profile.list_page, len(entries) - offset)
    while True:
        chunk = entries[offset : offset + count]
        options = list(chunk)
        more = offset + count < len(entries)
        if more:
            options.append(Option("More", "MORE"))
        options += [*extra, Option("Menu", "MENU")]
        title = header(offset + 1, offset + len(chunk), len(entries))
        page = Reply(f"{note}\n{title}" if note else title, tuple(options))
        if count == 1 or profile.fits(as_text(page), RESERVE):
            break
        count -= 1
    turn.session.listed = [o.value for o in chunk]
    turn.session.list_offset = offset
    turn.session.list_next = offset + len(chunk)
    turn.session.data["page"] = {
        "header": title,
        "options": [[o.label, o.value] for o in page.options],
    }
    return page


def history_note(turn: Turn, found: int) -> str | None:
    """Said on paging past the end of a list the platform cut short (Gazoop: its last 25)."""
    limit = getattr(turn.backend, "history_limit", None)
    if limit and found >= limit:
        return f"Only your last {limit} bookings can be shown."
    return None


def shown_again(turn: Turn, fallback: str) -> Reply:
    page = turn.session.data.get("page")
    if not page:
        return Reply(fallback)
    return Reply(page["header"], tuple(Option(label, value) for label, value in page["options"]))


def as_text(reply: Reply) -> str:
    """The page as a text message numbers it (what its segments are counted on)."""
    lines = [reply.text] + [f"{n} {o.label}" for n, o in numbered(reply.options)]
    return "\n".join(lines)


REFERENCE = re.compile(r"#?\s*\d{1,12}")
"""What a typed answer to a list must look like to be a booking reference: "2", "#1042"."""


def typed_reference(turn: Turn) -> str | None:
    """The booking an answer to a list names: its button, or its number or id typed."""
    if turn.choice is not None:
        return turn.choice
    return resolve_reference(turn, turn.text) if REFERENCE.fullmatch(turn.text) else None


def resolve_reference(turn: Turn, ref: str) -> str | None:
    """A booking id from what the customer typed: "#1042", "1042", or "2" (item 2 shown last).
    None when it is no reference ("CANCEL BOOKING")."""
    ref = ref.strip()
    if ref.startswith("#"):
        return ref[1:].strip() or None
    if ref.upper() in NOT_A_REFERENCE or not ref:
        return None
    listed = turn.session.listed
    if ref.isdigit() and 1 <= int(ref) <= len(listed):
        return listed[int(ref) - 1]
    return ref
