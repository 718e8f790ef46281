"""Reading start times from free text, relative to an injected now, and offering slots."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.backends.protocol import BookingWindow
from bot.understanding import when

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday, GMT
SUMMER = datetime(2026, 6, 22, 9, 0, tzinfo=UTC)  # a Monday, BST (10:00 local)
WINDOW = BookingWindow()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tomorrow 3pm", utc(2026, 11, 24, 15, 0)),
        ("fri 10:30", utc(2026, 11, 27, 10, 30)),
        ("24/11 9am", utc(2026, 11, 24, 9, 0)),
        ("in 2 hours", utc(2026, 11, 23, 12, 0)),
        ("Tomorrow at 3", utc(2026, 11, 24, 15, 0)),
        ("tmrw 10.30", utc(2026, 11, 24, 10, 30)),
        ("1/12 14:00", utc(2026, 12, 1, 14, 0)),
    ],
)
def test_reads_the_usual_ways_of_saying_a_time(text: str, expected: datetime) -> None:
    reading = when.read(text, NOW, LONDON, WINDOW)
    assert reading.moment == expected
    assert reading.ok, reading


def test_reads_local_time_in_summer_and_returns_utc() -> None:
    reading = when.read("tomorrow 3pm", SUMMER, LONDON, WINDOW)
    assert reading.moment == utc(2026, 6, 23, 14, 0)  # 15:00 BST
    assert when.read("in 2 hours", SUMMER, LONDON, WINDOW).moment == utc(2026, 6, 22, 11, 0)


def test_relative_to_the_given_now_not_the_wall_clock() -> None:
    later = NOW + timedelta(days=30)
    assert when.read("tomorrow 3pm", later, LONDON, WINDOW).moment == utc(2026, 12, 24, 15, 0)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("whenever suits", "unreadable"),
        ("10", "ambiguous"),
        ("tomorrow", "no_time"),
        ("today 9am", "past"),
        ("in 1 hour", "too_soon"),
        ("tomorrow 10pm", "closed"),
        ("tomorrow 6:30am", "closed"),
        ("24/3 10am", "too_far"),
    ],
)
def test_says_what_is_wrong(text: str, problem: str) -> None:
    assert when.read(text, NOW, LONDON, WINDOW).problem == problem


def test_the_last_start_of_the_day_and_the_minimum_notice_are_allowed() -> None:
    assert when.read("tomorrow 8pm", NOW, LONDON, WINDOW).ok
    assert when.read("tomorrow 7am", NOW, LONDON, WINDOW).ok
    assert when.read("today 12:00", NOW, LONDON, WINDOW).ok


def test_explains_what_it_understood() -> None:
    past = when.read("today 9am", NOW, LONDON, WINDOW)
    said = when.explain(past, "today 9am", NOW, LONDON, WINDOW)
    assert said == "I read that as Mon 23 Nov 09:00, which is in the past."
    closed = when.read("tomorrow 10pm", NOW, LONDON, WINDOW)
    assert "Tue 24 Nov 22:00" in when.explain(closed, "", NOW, LONDON, WINDOW)
    assert "07:00-20:00" in when.explain(closed, "", NOW, LONDON, WINDOW)
    far = when.read("24/3 10am", NOW, LONDON, WINDOW)
    assert "Wed 24 Mar 2027 10:00" in when.explain(far, "", NOW, LONDON, WINDOW)
    assert "60 days" in when.explain(far, "", NOW, LONDON, WINDOW)
    unread = when.read("whenever suits", NOW, LONDON, WINDOW)
    assert '"whenever suits"' in when.explain(unread, "whenever suits", NOW, LONDON, WINDOW)
    soon = when.read("in 1 hour", NOW, LONDON, WINDOW)
    assert "2 hours" in when.explain(soon, "", NOW, LONDON, WINDOW)


def test_first_slots_respect_notice_and_grid() -> None:
    assert when.suggest(WINDOW, NOW, LONDON) == [
        utc(2026, 11, 23, 12, 0),
        utc(2026, 11, 23, 12, 30),
        utc(2026, 11, 23, 13, 0),
        utc(2026, 11, 23, 13, 30),
    ]
    late = utc(2026, 11, 23, 18, 10)
    assert when.suggest(WINDOW, late, LONDON, count=3) == [
        utc(2026, 11, 24, 7, 0),
        utc(2026, 11, 24, 7, 30),
        utc(2026, 11, 24, 8, 0),
    ]


def test_slots_near_a_time_outside_opening_hours_are_that_evening() -> None:
    reading = when.read("tomorrow 10pm", NOW, LONDON, WINDOW)
    offered = when.offer(reading, NOW, LONDON, WINDOW)
    assert offered == [utc(2026, 11, 24, h, m) for h, m in ((18, 30), (19, 0), (19, 30), (20, 0))]


def test_slots_for_a_day_without_a_time_are_that_day() -> None:
    reading = when.read("fri", NOW, LONDON, WINDOW)
    assert reading.problem == "no_time"
    offered = when.offer(reading, NOW, LONDON, WINDOW)
    assert offered[0] == utc(2026, 11, 27, 7, 0)
    assert len(offered) == 4


def test_slots_for_too_far_are_the_last_allowed() -> None:
    reading = when.read("24/3 10am", NOW, LONDON, WINDOW)
    offered = when.offer(reading, NOW, LONDON, WINDOW)
    assert len(offered) == 4
    assert offered[-1] <= NOW + WINDOW.max_ahead
    assert offered[-1] > NOW + WINDOW.max_ahead - timedelta(days=1)


def test_slots_follow_local_time_across_the_clock_change() -> None:
    before_change = utc(2026, 10, 24, 19, 0)  # Sat 24 Oct 20:00 BST; clocks go back on the 25th
    window = BookingWindow(opens=time(9, 0), closes=time(9, 0))
    offered = when.suggest(window, before_change, LONDON, count=2)
    assert [s.astimezone(LONDON).hour for s in offered] == [9, 9]
    assert offered == [utc(2026, 10, 25, 9, 0), utc(2026, 10, 26, 9, 0)]


@settings(max_examples=60, deadline=None)
@given(
    minutes=st.integers(min_value=0, max_value=60 * 24 * 70),
    count=st.integers(min_value=1, max_value=6),
)
def test_every_offered_slot_is_bookable(minutes: int, count: int) -> None:
    now = NOW + timedelta(minutes=minutes)
    for near in (None, now + timedelta(days=3, hours=13), now + timedelta(days=90)):
        offered = when.suggest(WINDOW, now, LONDON, near, count)
        assert offered == sorted(offered)
        assert len(offered) <= count
        for slot in offered:
            assert when.check(slot, now, LONDON, WINDOW) is None
            assert slot.astimezone(LONDON).minute in (0, 30)


def test_a_date_earlier_today_has_passed_it_is_not_next_year() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot.backends.protocol import BookingWindow

    later_that_day = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    reading = when.read("24/11 9am", later_that_day, ZoneInfo("Europe/London"), BookingWindow())
    assert reading.problem == "past"
    assert reading.moment == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_a_day_then_a_bare_hour_is_a_time() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot.backends.protocol import BookingWindow

    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    for text in ("tomorrow 10", "tomorrow at 10"):
        reading = when.read(text, now, ZoneInfo("Europe/London"), BookingWindow())
        assert reading.ok and reading.moment == datetime(2026, 11, 24, 10, 0, tzinfo=UTC), text
