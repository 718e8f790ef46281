"""A platform that says a late fee applies without naming it (Launch27's 406 until cancel_late)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.backends.protocol import BookingStatus, ConfirmationRequired, Money
from bot.runtime import build_runtime
from tests.fakes.chat import Chat


class UnstatedFeeBackend:
    """The built-in backend, but its late question names no fee and `late=True` is the yes."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[tuple[Money | None, bool]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def cancel_booking(
        self,
        customer,
        booking_id: str,
        *,
        confirm_fee: Money | None = None,
        late: bool = False,
        recurring: bool = False,
        future: bool = False,
    ):
        self.calls.append((confirm_fee, late))
        try:
            return self.inner.cancel_booking(
                customer, booking_id, confirm_fee=confirm_fee, recurring=recurring, future=future
            )
        except ConfirmationRequired as question:
            if question.reason != "late":
                raise
            if not late:
                raise ConfirmationRequired("late", question.booking, fee=None) from None
            return self.inner.cancel_booking(
                customer, booking_id, confirm_fee=question.fee, recurring=recurring, future=future
            )


@pytest.mark.parametrize("channel", ["sms", "telegram"])
def test_yes_to_an_unnamed_late_fee_cancels(any_redis, backend, settings, clock, channel) -> None:
    wrapped = UnstatedFeeBackend(backend)
    engine = build_runtime(settings, redis_client=any_redis, backend=wrapped, clock=clock).engine
    chat = Chat(engine, channel=channel)
    chat.login()
    customer = chat.session.get_customer()
    [late] = [
        b
        for b in backend.recent_bookings(customer)
        if b.cancellable_at(clock()) and (b.start - clock()).total_seconds() < 24 * 3600
    ]
    assert chat.send(f"CANCEL #{late.id}").startswith(f"Cancel #{late.id} ")
    question = chat.send("YES")
    assert f"A late cancellation fee applies to booking #{late.id}" in question
    answer = chat.send("YES")
    assert f"Booking #{late.id}" in answer and "is cancelled" in answer
    assert backend.booking(customer, late.id).status is BookingStatus.CANCELLED
    assert wrapped.calls == [(None, False), (None, True)]


def test_no_to_an_unnamed_late_fee_keeps_the_booking(any_redis, backend, settings, clock) -> None:
    wrapped = UnstatedFeeBackend(backend)
    engine = build_runtime(settings, redis_client=any_redis, backend=wrapped, clock=clock).engine
    chat = Chat(engine, channel="sms")
    chat.login()
    customer = chat.session.get_customer()
    late = min(
        (b for b in backend.recent_bookings(customer) if b.cancellable_at(clock())),
        key=lambda b: b.start,
    )
    chat.send(f"CANCEL #{late.id}")
    chat.send("YES")
    assert f"Booking #{late.id} is kept." in chat.send("NO")
    assert backend.booking(customer, late.id).status is BookingStatus.BOOKED
    assert wrapped.calls == [(None, False)]
