"""Pricing, repeat dates and the late-cancellation policy: pure functions, no database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from bot.backends.protocol import Extra, Frequency, Money, Quote, Service


def percent_of(minor: int, percent: Decimal | int) -> int:
    """`percent`% of an amount in minor units, rounded half up (0.5p becomes 1p)."""
    exact = Decimal(minor) * Decimal(percent) / 100
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def price(
    service: Service,
    chosen_extras: Sequence[tuple[Extra, int]],
    frequency: Frequency | None,
    currency: str,
) -> Quote:
    lines: list[tuple[str, Money]] = [(service.name, Money(service.price.minor, currency))]
    subtotal = service.price.minor
    for extra, quantity in chosen_extras:
        amount = extra.price.minor * quantity
        label = f"{extra.name} x{quantity}" if quantity > 1 else extra.name
        lines.append((label, Money(amount, currency)))
        subtotal += amount
    discount = 0
    if frequency is not None and frequency.discount_percent:
        discount = percent_of(subtotal, frequency.discount_percent)
        lines.append((f"{frequency.name} discount", Money(-discount, currency)))
    return Quote(total=Money(subtotal - discount, currency), lines=tuple(lines))


def visit_starts(first: datetime, interval_days: int, count: int, tz: ZoneInfo) -> list[datetime]:
    """Starts of a series: same wall-clock time in the business's zone, across DST changes."""
    local = first.astimezone(tz)
    return [(local + timedelta(days=k * interval_days)).astimezone(UTC) for k in range(count)]


@dataclass(frozen=True)
class FeeRule:
    """A late-cancellation fee: a fixed amount in minor units, or a percentage of the price."""

    fixed_minor: int | None = None
    percent: Decimal | None = None

    def fee_for(self, booking_price: Money) -> Money:
        if self.percent is not None:
            return Money(percent_of(booking_price.minor, self.percent), booking_price.currency)
        return Money(self.fixed_minor or 0, booking_price.currency)


def parse_fee(spec: str) -> FeeRule:
    """'15.00' or '15' is a fixed fee, '50%' a percentage of the booking's price."""
    text = spec.strip().lstrip("£$€").strip()
    try:
        if text.endswith("%"):
            percent = Decimal(text[:-1].strip())
            if not 0 <= percent <= 100:
                raise ValueError
            return FeeRule(percent=percent)
        amount = Decimal(text)
        if amount < 0 or amount != amount.quantize(Decimal("0.01")):
            raise ValueError
        return FeeRule(fixed_minor=int(amount * 100))
    except (InvalidOperation, ValueError):
        raise ValueError(
            f"LATE_CANCEL_FEE={spec!r}: expected an amount like '15.00' or a percentage like '50%'"
        ) from None


def is_late(start: datetime, now: datetime, late_hours: int) -> bool:
    return start - now < timedelta(hours=late_hours)
