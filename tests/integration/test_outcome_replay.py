"""An outcome that committed but whose answer never reached the customer is replayed in full.

The platform retries a delivery whose answer it did not get (a timeout, a dropped connection);
the retry carries the same delivery id and must get the first answer again, the late fee
included, not a second run ("already cancelled"). Runs on real Redis and the in-process store.
"""

from __future__ import annotations

import threading
import time

import pytest

from bot.backends.protocol import BookingStatus
from bot.runtime import build_runtime
from tests.fakes.chat import DEMO_PHONE, DEMO_PIN, Chat


class SlowBackend:
    """The built-in backend; the chosen calls commit, then take `delay` seconds to return."""

    def __init__(self, backend, slow: set[str], delay: float) -> None:
        self.backend = backend
        self.slow = slow
        self.delay = delay
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str):
        attribute = getattr(self.backend, name)
        if name.startswith("_") or not callable(attribute):
            return attribute

        def call(*args, **kwargs):
            self.calls[name] = self.calls.get(name, 0) + 1
            result = attribute(*args, **kwargs)
            if name in self.slow:
                time.sleep(self.delay)
            return result

        return call


LOCK_TTL_MS = 50
SLOWER_THAN_THE_LOCK = 0.2


@pytest.fixture
def slow(backend) -> SlowBackend:
    return SlowBackend(backend, {"cancel_booking", "create_booking"}, SLOWER_THAN_THE_LOCK)


@pytest.fixture
def chat(any_redis, slow, settings, clock) -> Chat:
    runtime = build_runtime(settings, redis_client=any_redis, backend=slow, clock=clock)
    runtime.store.lock_ttl_ms = LOCK_TTL_MS  # every slow call outlives its conversation lock
    chat = Chat(runtime.engine, channel="sms")
    chat.login()
    return chat


def late_booking(backend, clock):
    customer = backend.login(DEMO_PHONE, DEMO_PIN)
    upcoming = [
        b
        for b in backend.recent_bookings(customer)
        if not b.recurring and b.start > clock.now and b.status == BookingStatus.BOOKED
    ]
    return min(upcoming, key=lambda b: b.start)


def test_a_late_cancel_that_outlived_its_lock_is_replayed_with_the_fee(
    chat: Chat, slow: SlowBackend, backend, clock
) -> None:
    late = late_booking(backend, clock)
    assert "yes, cancel it" in chat.send(f"CANCEL {late.id}").lower()  # asked first
    assert "late cancellation fee of £15.00" in chat.send("YES")
    asked = slow.calls["cancel_booking"]  # asking for the fee is a call too

    first = chat.send("YES", delivery_id="SM-cancel")  # this answer is lost on the way back
    assert "is cancelled" in first and "A £15.00 late fee applies." in first

    retry = chat.send("YES", delivery_id="SM-cancel")
    assert retry == first, "the retry tells the customer the same, the fee included"
    assert slow.calls["cancel_booking"] == asked + 1
    assert chat.session.state == "menu", "the slow step's session was saved all the same"


def test_a_create_that_outlived_its_lock_is_replayed_and_books_once(
    chat: Chat, slow: SlowBackend, backend
) -> None:
    chat.send("BOOK standard clean tomorrow 10am at 12 High St, London")
    for answer in ("none", "one-off", "SKIP"):
        chat.send(answer)
    first = chat.send("YES", delivery_id="SM-book")
    assert first.startswith("Booked! #") and "Total £60.00" in first

    assert chat.send("YES", delivery_id="SM-book") == first
    assert slow.calls["create_booking"] == 1


def test_a_retry_arriving_while_the_first_run_is_still_going_gets_its_answer(
    chat: Chat, slow: SlowBackend, backend, clock
) -> None:
    late = late_booking(backend, clock)
    chat.send(f"CANCEL {late.id}")
    assert "late cancellation fee of £15.00" in chat.send("YES")
    asked = slow.calls["cancel_booking"]
    answers: list[str] = []
    first = threading.Thread(target=lambda: answers.append(chat.send("YES", delivery_id="SM-x")))
    first.start()
    time.sleep(SLOWER_THAN_THE_LOCK / 2)  # the first run's lock has expired by now
    retry = chat.send("YES", delivery_id="SM-x")  # waits for the first run, then replays it
    first.join(5)
    assert retry == answers[0]
    assert "A £15.00 late fee applies." in retry
    assert slow.calls["cancel_booking"] == asked + 1
