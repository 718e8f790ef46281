"""Pricing, repeat dates and the late-cancellation fee of the built-in backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.backends.builtin import policy
from bot.backends.builtin.demo import next_half_hour
from bot.backends.protocol import Extra, Frequency, Money, Service

LONDON = ZoneInfo("Europe/London")
CLEAN = Service("clean", "Clean", Money(6000), extras=(Extra("oven", "Oven clean", Money(2500)),))
WEEKLY = Frequency("weekly", "Weekly", 7, 10)


@pytest.mark.parametrize(
    ("minor", "percent", "expected"),
    [(1250, 10, 125), (5, 10, 1), (4, 10, 0), (25, 10, 3), (1210, 5, 61), (0, 50, 0)],
)
def test_percent_of_rounds_half_up(minor: int, percent: int, expected: int) -> None:
    assert policy.percent_of(minor, percent) == expected


def test_percent_of_takes_fractions() -> None:
    assert policy.percent_of(1000, Decimal("12.5")) == 125
    assert policy.percent_of(1004, Decimal("12.5")) == 126  # 125.5


def test_price_lines_and_total() -> None:
    quote = policy.price(CLEAN, [(CLEAN.extras[0], 2)], WEEKLY, "GBP")
    assert quote.lines == (
        ("Clean", Money(6000)),
        ("Oven clean x2", Money(5000)),
        ("Weekly discount", Money(-1100)),
    )
    assert quote.total == Money(9900)
    assert sum((amount for _, amount in quote.lines), Money(0)) == quote.total


def test_price_without_discount_has_no_discount_line() -> None:
    one_off = Frequency("one-off", "One-off")
    quote = policy.price(CLEAN, [], one_off, "USD")
    assert quote.lines == (("Clean", Money(6000, "USD")),)
    assert quote.total == Money(6000, "USD")


def test_odd_discount_rounds_half_up() -> None:
    odd = Service("odd", "Odd", Money(1205))
    quote = policy.price(odd, [], WEEKLY, "GBP")
    assert quote.total == Money(1205 - 121)


@pytest.mark.parametrize(
    ("spec", "fixed", "percent"),
    [
        ("15.00", 1500, None),
        ("15", 1500, None),
        ("£7.5", 750, None),
        (" 0 ", 0, None),
        ("50%", None, Decimal(50)),
        ("12.5 %", None, Decimal("12.5")),
    ],
)
def test_parse_fee(spec: str, fixed: int | None, percent: Decimal | None) -> None:
    rule = policy.parse_fee(spec)
    assert (rule.fixed_minor, rule.percent) == (fixed, percent)


@pytest.mark.parametrize("spec", ["", "abc", "-5", "1.005", "150%", "%", "nan", "inf"])
def test_parse_fee_refuses_nonsense(spec: str) -> None:
    with pytest.raises(ValueError, match="LATE_CANCEL_FEE"):
        policy.parse_fee(spec)


def test_fee_for() -> None:
    assert policy.parse_fee("15.00").fee_for(Money(999, "USD")) == Money(1500, "USD")
    assert policy.parse_fee("50%").fee_for(Money(1205)) == Money(603)


def test_is_late_boundary() -> None:
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert policy.is_late(now + timedelta(hours=23, minutes=59), now, 24)
    assert not policy.is_late(now + timedelta(hours=24), now, 24)
    assert policy.is_late(now + timedelta(hours=1), now, 2)


def test_visit_starts_keep_wall_clock_time_over_dst() -> None:
    first = datetime(2027, 3, 22, 10, 0, tzinfo=UTC)  # 10:00 GMT
    starts = policy.visit_starts(first, 7, 3, LONDON)
    assert [s.astimezone(LONDON).hour for s in starts] == [10, 10, 10]
    assert [s.hour for s in starts] == [10, 9, 9]
    assert all(s.tzinfo is UTC for s in starts)


@pytest.mark.parametrize(
    ("minute", "second", "expected"),
    [(0, 0, (10, 0)), (0, 1, (10, 30)), (15, 0, (10, 30)), (30, 0, (10, 30)), (45, 0, (11, 0))],
)
def test_next_half_hour(minute: int, second: int, expected: tuple[int, int]) -> None:
    moment = datetime(2026, 11, 23, 10, minute, second, tzinfo=UTC)
    rounded = next_half_hour(moment)
    assert (rounded.hour, rounded.minute, rounded.second) == (*expected, 0)
