"""Launch27's booking and cancellation policies (GET /policy/booking, /policy/cancellation).

https://bitbucket.org/awoo23/api-2.0/wiki/Booking_cancellation_policy: a booking is cancelled
late when the default policy applies and it is 5pm or later on the day before the service
(the business's time zone), or a custom policy's `quantity` hours/days or fewer are left. The fee
is `late_cancellation_fee`, or `late_cancellation_percent` of the booking's before-tax amount;
both 0 means no late cancellation at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bot.backends.protocol import BackendUnavailable, Money

DEFAULT_CUTOFF = time(17, 0)
"""The default policy: free cancellation until 5pm on the day before the service."""


def minor(amount: Any) -> int:
    """A Launch27 amount (10.0, "202.0") in minor units, rounded half up to the cent."""
    if isinstance(amount, bool) or amount is None:
        raise BackendUnavailable(f"Launch27 sent {amount!r} where an amount belongs")
    try:
        value = Decimal(str(amount))
    except ArithmeticError as exc:
        raise BackendUnavailable(f"Launch27 sent {amount!r} where an amount belongs") from exc
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def amount(money: Money) -> float:
    """Minor units back to the number Launch27 takes (`confirmed_fee`)."""
    return float(Decimal(money.minor) / 100)


def _unit(unit: Any, quantity: Any) -> timedelta:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
        raise BackendUnavailable(f"Launch27 policy quantity {quantity!r} is not a whole number")
    if unit == "hour":
        return timedelta(hours=quantity)
    if unit == "day":
        return timedelta(days=quantity)
    raise BackendUnavailable(f"Launch27 policy unit {unit!r} is not hour or day")


@dataclass(frozen=True)
class CancellationPolicy:
    fee_minor: int = 0
    percent: Decimal = Decimal(0)
    window: timedelta | None = None
    """None: the default rule (5pm the day before)."""
    reason_required: bool = False

    @classmethod
    def from_json(cls, body: Any) -> CancellationPolicy:
        try:
            return cls._read(body)
        except (ArithmeticError, KeyError, TypeError, ValueError) as exc:
            raise BackendUnavailable(
                "Launch27 sent a cancellation policy of the wrong shape"
            ) from exc

    @classmethod
    def _read(cls, body: Any) -> CancellationPolicy:
        if not isinstance(body, dict) or not isinstance(body.get("custom"), bool):
            raise BackendUnavailable("Launch27 sent a cancellation policy of the wrong shape")
        window = _unit(body.get("unit"), body.get("quantity")) if body["custom"] else None
        fee = body.get("late_cancellation_fee") or 0
        percent = body.get("late_cancellation_percent") or 0
        return cls(
            fee_minor=minor(fee),
            percent=Decimal(str(percent)),
            window=window,
            reason_required=bool(body.get("cancellation_reason_on")),
        )

    def is_late(self, start: datetime, now: datetime, tz: ZoneInfo) -> bool:
        if self.window is not None:
            return start - now <= self.window
        day_before = start.astimezone(tz).date() - timedelta(days=1)
        cutoff = datetime.combine(day_before, DEFAULT_CUTOFF, tzinfo=tz)
        return now >= cutoff

    def fee(self, before_tax: Money) -> Money | None:
        """The late-cancellation fee for a booking of this before-tax amount; None: no fee."""
        if self.fee_minor > 0:
            return Money(self.fee_minor, before_tax.currency)
        if self.percent > 0:
            value = (Decimal(before_tax.minor) * self.percent / 100).quantize(
                Decimal(1), rounding=ROUND_HALF_UP
            )
            return Money(int(value), before_tax.currency)
        return None

    def late_fee(
        self, start: datetime, now: datetime, tz: ZoneInfo, before_tax: Money
    ) -> Money | None:
        return self.fee(before_tax) if self.is_late(start, now, tz) else None


def min_notice(body: Any) -> timedelta | None:
    """GET /policy/booking: {custom: false} (no limit) or {custom: true, unit, quantity}."""
    if not isinstance(body, dict) or not isinstance(body.get("custom"), bool):
        raise BackendUnavailable("Launch27 sent a booking policy of the wrong shape")
    if not body["custom"]:
        return None
    return _unit(body.get("unit"), body.get("quantity"))
