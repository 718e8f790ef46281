"""Command words as people type them, on their own (no session, no flow)."""

from __future__ import annotations

import pytest

from bot.understanding.commands import read_command
from bot.understanding.secrets import read_code, read_pin


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("bookngs", ("BOOKINGS", "")),
        ("BOOKINGS", ("BOOKINGS", "")),
        ("my bookings please", ("BOOKINGS", "")),
        ("show me my bookings", ("BOOKINGS", "")),
        ("cancle", ("CANCEL", "")),
        ("cancel 2", ("CANCEL", "2")),
        ("CANCEL #1042", ("CANCEL", "#1042")),
        ("/book@demo_bot", ("BOOK", "")),
        ("I want to book a cleaner", ("BOOK", "a cleaner")),
        ("can I book a standard clean tomorrow", ("BOOK", "a standard clean tomorrow")),
        ("trak", None),
        ("logut", ("LOGOUT", "")),
    ],
)
def test_commands_as_people_type_them(text: str, command: tuple[str, str] | None) -> None:
    assert read_command(text) == command


@pytest.mark.parametrize(
    "text",
    ["candle", "truck", "trakc", "books", "hello", "cancelled", "lookout", "menus please", "", " "],
)
def test_near_misses_are_not_commands(text: str) -> None:
    assert read_command(text) is None


@pytest.mark.parametrize(
    ("text", "pin"),
    [
        ("1234", "1234"),
        ("12 34", "1234"),
        ("١٢٣٤", "1234"),
        ("۱۲۳۴", "1234"),
        ("１２３４", "1234"),
        ("१२३४", "1234"),
        ("123", None),
        ("1234567890123", None),
        ("12a4", None),
        ("½234", None),
        ("", None),
    ],
)
def test_pins_in_any_scripts_digits(text: str, pin: str | None) -> None:
    assert read_pin(text) == pin


def test_one_time_codes_are_six_digits() -> None:
    assert read_code("123 456") == "123456"
    assert read_code("١٢٣٤٥٦") == "123456"
    assert read_code("12345") is None
