"""A backend wrapper for cancellation tests: records cancel calls, changes the fee, goes down.

The fee change is a real one: `before` and `after` are two backends on the same database whose
late-cancellation fee settings differ (the business changed LATE_CANCEL_FEE while a customer was
deciding), so after `change_fee()` the real backend reports the new fee itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.backends.protocol import BackendUnavailable, BookingBackend, Cancellation, Customer, Money


@dataclass(frozen=True)
class CancelCall:
    booking_id: str
    confirm_fee: Money | None
    late: bool
    recurring: bool
    future: bool


class FeeChangingBackend:
    """Everything goes to the current backend; `cancel_booking` calls are recorded first."""

    def __init__(self, before: BookingBackend, after: BookingBackend | None = None) -> None:
        self.current = before
        self._after = after
        self._down_once = False
        self.cancel_calls: list[CancelCall] = []

    def change_fee(self) -> None:
        if self._after is None:
            raise RuntimeError("no backend with another fee was given")
        self.current = self._after

    def go_down_once(self) -> None:
        """The next cancel call fails as if the platform timed out, without reaching it."""
        self._down_once = True

    def cancel_booking(
        self,
        customer: Customer,
        booking_id: str,
        *,
        confirm_fee: Money | None = None,
        late: bool = False,
        recurring: bool = False,
        future: bool = False,
        reason: str | None = None,
    ) -> Cancellation:
        self.cancel_calls.append(CancelCall(booking_id, confirm_fee, late, recurring, future))
        if self._down_once:
            self._down_once = False
            raise BackendUnavailable("timed out")
        return self.current.cancel_booking(
            customer,
            booking_id,
            confirm_fee=confirm_fee,
            late=late,
            recurring=recurring,
            future=future,
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self.current, name)
