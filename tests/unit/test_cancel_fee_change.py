"""A late fee that changes between the question and the answer is asked about again.

Two built-in backends share one SQLite file: the first charges a fixed £15.00, the second 50% of
the price (the business changed LATE_CANCEL_FEE while the customer was deciding). After
`change_fee()` the backend itself reports the new fee for the same booking.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.backends.builtin import BuiltinBackend
from bot.backends.protocol import BookingStatus, Money
from bot.config import Settings
from bot.conversation.states import State
from bot.runtime import build_runtime
from tests.fakes.chat import Chat
from tests.fakes.fee_changing_backend import CancelCall, FeeChangingBackend
from tests.unit.test_cancel_flow import (
    CHANNELS,
    assert_list_agrees,
    cancel_ref,
    cancelled,
    changed,
    demo_of,
    on,
    pick,
    statuses,
)

FIXED = Money(1500, "GBP")


@pytest.fixture
def backends(tmp_path, clock) -> Iterator[tuple[BuiltinBackend, BuiltinBackend]]:
    url = f"sqlite:///{tmp_path / 'bookings.sqlite3'}"
    before = BuiltinBackend(url, settings=Settings(late_cancel_fee="15.00"), clock=clock)
    after = BuiltinBackend(url, settings=Settings(late_cancel_fee="50%"), clock=clock)
    yield before, after
    before.close()
    after.close()


@pytest.fixture
def wrapped(backends) -> FeeChangingBackend:
    return FeeChangingBackend(*backends)


@pytest.fixture
def open_chat(any_redis, wrapped, clock):
    def make(channel: str) -> Chat:
        engine = build_runtime(
            Settings(), redis_client=any_redis, backend=wrapped, clock=clock
        ).engine
        chat = Chat(engine, channel=channel)
        chat.login()
        return chat

    return make


def half_price(price: Money | None) -> Money:
    assert price is not None
    return Money((price.minor + 1) // 2, price.currency)


@pytest.mark.parametrize("channel", CHANNELS)
def test_changed_fee_is_asked_again_and_only_the_new_one_charged(
    open_chat, wrapped, backends, clock, channel
):
    backend = backends[0]
    demo = demo_of(backend, clock.now)
    new_fee = half_price(demo.late.price)
    assert new_fee != FIXED
    c = open_chat(channel)
    before = statuses(backend)

    first = cancel_ref(c, demo.late.id)
    assert f"A late cancellation fee of {FIXED} applies to booking #{demo.late.id}" in first
    wrapped.change_fee()
    again = pick(c, "Yes")

    assert again.startswith(
        f"The late cancellation fee has changed: it is now {new_fee} for booking "
        f"#{demo.late.id} on {on(demo.late)}. Cancel anyway?"
    )
    assert c.session.state == State.CANCEL_LATE
    assert c.session.data["pending"]["fee_minor"] == new_fee.minor
    assert statuses(backend) == before  # the old fee was not charged

    out = pick(c, "Yes")

    assert f"Booking #{demo.late.id} on {on(demo.late)} is cancelled." in out
    assert f"A {new_fee} late fee applies." in out
    assert [call.confirm_fee for call in wrapped.cancel_calls] == [None, FIXED, new_fee]
    assert changed(before, statuses(backend)) == cancelled(demo.late)
    assert_list_agrees(c, backend, demo.customer)


@pytest.mark.parametrize("channel", CHANNELS)
def test_no_to_the_changed_fee_keeps_the_booking(open_chat, wrapped, backends, clock, channel):
    backend = backends[0]
    demo = demo_of(backend, clock.now)
    c = open_chat(channel)
    before = statuses(backend)

    cancel_ref(c, demo.late.id)
    wrapped.change_fee()
    pick(c, "Yes")
    out = pick(c, "No")

    assert f"Booking #{demo.late.id} is kept." in out
    assert statuses(backend) == before


def test_a_button_of_the_old_fee_question_is_stale(open_chat, wrapped, backends, clock):
    backend = backends[0]
    demo = demo_of(backend, clock.now)
    c = open_chat("telegram")
    before = statuses(backend)
    cancel_ref(c, demo.late.id)
    old_yes = next(o.value for r in c.replies for o in r.options if o.label.startswith("Yes"))
    wrapped.change_fee()
    pick(c, "Yes")  # asked again with the new fee
    calls = len(wrapped.cancel_calls)

    out = c.send(button=old_yes)

    assert out.startswith("That button belongs to an earlier message.")
    assert "The late cancellation fee has changed" in out
    assert len(wrapped.cancel_calls) == calls
    assert statuses(backend) == before


@pytest.mark.parametrize("channel", CHANNELS)
def test_fee_changed_after_the_series_answer_is_asked_again_keeping_that_answer(
    any_redis, backends, clock, channel
):
    backend = backends[0]
    demo = demo_of(backend, clock.now)
    first = demo.series[0]
    clock.advance(days=2, hours=12)  # the first visit of the series is now a late one
    wrapped = FeeChangingBackend(*backends)
    engine = build_runtime(Settings(), redis_client=any_redis, backend=wrapped, clock=clock).engine
    c = Chat(engine, channel=channel)
    c.login()
    before = statuses(backend)
    new_fee = half_price(first.price)

    cancel_ref(c, first.id)
    pick(c, "Yes")  # £15.00 agreed
    wrapped.change_fee()
    again = pick(c, "Cancel this one only")
    assert f"it is now {new_fee} for booking #{first.id}" in again
    assert statuses(backend) == before
    out = pick(c, "Yes")

    assert wrapped.cancel_calls == [
        CancelCall(first.id, None, False, False, False),
        CancelCall(first.id, FIXED, True, False, False),
        CancelCall(first.id, FIXED, True, True, False),
        CancelCall(first.id, new_fee, True, True, False),
    ]
    assert f"A {new_fee} late fee applies." in out
    assert changed(before, statuses(backend)) == cancelled(first)
    assert statuses(backend)[demo.series[1].id] == BookingStatus.BOOKED
