"""Gazoop writes ride times without a year ("28th April at 12:21"): which year the customer sees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.backends.gazoop import YEAR_HORIZON, gazoop_pin, gazoop_username, infer_start
from tests.fakes.gazoop_server import gazoop_time

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def at(*args: int, tz: ZoneInfo = LONDON) -> datetime:
    return datetime(*args, tzinfo=tz).astimezone(UTC)


@pytest.mark.parametrize(
    ("now", "text", "expected"),
    [
        # the documentation's examples, read in spring: this year's
        (at(2026, 5, 20, 9, 0), "28th April at 12:21", at(2026, 4, 28, 12, 21)),
        (at(2026, 5, 20, 9, 0), "2nd May at 22:58", at(2026, 5, 2, 22, 58)),
        (at(2026, 5, 20, 9, 0), "25th May at 17:00", at(2026, 5, 25, 17, 0)),
        # December rides read in January were last year's ...
        (at(2027, 1, 5, 9, 0), "28th December at 10:00", at(2026, 12, 28, 10, 0)),
        (at(2027, 1, 1, 0, 30), "31st December at 23:45", at(2026, 12, 31, 23, 45)),
        # ... and January rides booked in December are next year's
        (at(2026, 12, 20, 9, 0), "3rd January at 09:00", at(2027, 1, 3, 9, 0)),
        (at(2026, 12, 31, 23, 50), "1st January at 00:10", at(2027, 1, 1, 0, 10)),
        # more than 60 days ahead is not a booking ahead: it was last year's
        (at(2026, 12, 20, 9, 0), "25th February at 10:00", at(2026, 2, 25, 10, 0)),
        (at(2026, 11, 30, 21, 0), "30th November at 20:00", at(2026, 11, 30, 20, 0)),
        (at(2026, 11, 30, 21, 0), "1st December at 08:00", at(2026, 12, 1, 8, 0)),
    ],
)
def test_a_time_without_a_year_is_the_latest_one_not_far_ahead(
    now: datetime, text: str, expected: datetime
) -> None:
    assert infer_start(text, now, LONDON) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(2027, 3, 1, 12, 0), at(2024, 2, 29, 8, 15)),  # 2025-2027 have no 29th February
        (at(2028, 1, 15, 12, 0), at(2028, 2, 29, 8, 15)),  # 45 days ahead: this leap year's
        (at(2027, 6, 1, 12, 0), at(2024, 2, 29, 8, 15)),
        (at(2028, 3, 10, 12, 0), at(2028, 2, 29, 8, 15)),
        (at(2101, 1, 1, 12, 0), at(2096, 2, 29, 8, 15)),  # 2100 is not a leap year
    ],
)
def test_29th_february_is_the_last_leap_day_not_far_ahead(
    now: datetime, expected: datetime
) -> None:
    assert infer_start("29th February at 08:15", now, LONDON) == expected


def test_times_are_read_on_the_business_clock() -> None:
    now = at(2026, 7, 1, 12, 0)
    assert infer_start("28th April at 12:21", now, LONDON) == datetime(
        2026, 4, 28, 11, 21, tzinfo=UTC
    )
    assert infer_start("28th January at 12:21", now, LONDON) == datetime(
        2026, 1, 28, 12, 21, tzinfo=UTC
    )
    assert infer_start("28th April at 12:21", now, NEW_YORK) == datetime(
        2026, 4, 28, 16, 21, tzinfo=UTC
    )


def test_the_year_turns_on_the_business_clock_not_on_utc() -> None:
    # 22:30 on 31 December in New York is already 1 January in UTC: "3rd January" is 3 days
    # ahead, "30th December" the day before yesterday, both read in New York.
    now = datetime(2027, 1, 1, 3, 30, tzinfo=UTC)
    assert infer_start("3rd January at 10:00", now, NEW_YORK) == at(2027, 1, 3, 10, 0, tz=NEW_YORK)
    assert infer_start("30th December at 10:00", now, NEW_YORK) == at(
        2026, 12, 30, 10, 0, tz=NEW_YORK
    )


def test_a_time_skipped_by_the_clock_change_is_read_before_the_change() -> None:
    # 01:30 did not exist in London on 29 March 2026: read as 01:30 GMT.
    now = at(2026, 4, 2, 12, 0)
    assert infer_start("29th March at 01:30", now, LONDON) == datetime(
        2026, 3, 29, 1, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "text",
    ["1st Jan at 07:05", "1st jan at 07:05", "1 January at 07:05", "1st Sept at 07:05"],
)
def test_short_month_names_and_plain_days_are_read(text: str) -> None:
    now = at(2026, 10, 1, 12, 0)
    month = 9 if "Sept" in text else 1
    assert infer_start(text, now, LONDON) == at(2026, month, 1, 7, 5)


@pytest.mark.parametrize(
    "text",
    ["", "tomorrow at 10:00", "28th Apl at 12:21", "31st April at 10:00", "28th April", "12:21"],
)
def test_what_is_not_a_gazoop_time_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        infer_start(text, at(2026, 5, 1, 12, 0), LONDON)


@given(
    moment=st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2090, 12, 31)),
    offset_days=st.integers(min_value=-300, max_value=59),
)
def test_any_ride_within_the_horizon_gets_its_own_year_back(
    moment: datetime, offset_days: int
) -> None:
    """Written by Gazoop without a year and read back at any moment up to 300 days after the ride
    (or up to 59 days before it), a ride gets its true date back."""
    ride = moment.replace(second=0, microsecond=0, tzinfo=LONDON)
    if ride.month == 2 and ride.day == 29:
        return  # the leap day has its own test
    if ride.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) != ride.replace(tzinfo=None):
        return  # a local time the clock change skipped
    now = ride.astimezone(UTC) - timedelta(days=offset_days)
    inferred = infer_start(gazoop_time(ride), now, LONDON)
    assert inferred == ride.astimezone(UTC)
    assert inferred <= now + YEAR_HORIZON


@pytest.mark.parametrize(
    ("typed", "username"),
    [
        ("447700900123", "447700900123"),
        ("+447700900123", "447700900123"),
        ("00447700900123", "447700900123"),
        ("alex@example.com", None),
    ],
)
def test_the_username_is_the_international_number_without_plus_or_00(
    typed: str, username: str | None
) -> None:
    assert gazoop_username(typed) == username


@pytest.mark.parametrize(
    ("typed", "pin"),
    [
        ("1234", "1234"),
        ("123456789012", "123456789012"),
        ("١٢٣٤", "1234"),
        ("123", None),
        ("1234567890123", None),
        ("12a4", None),
    ],
)
def test_a_pin_is_4_to_12_digits_of_any_script_sent_as_ascii(typed: str, pin: str | None) -> None:
    assert gazoop_pin(typed) == pin
