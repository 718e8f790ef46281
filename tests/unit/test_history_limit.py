"""A platform that keeps only its last bookings (Gazoop: 25) says so when the customer pages past
the end of the list. Against a local Gazoop server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.backends.gazoop import GazoopBackend
from bot.runtime import build_runtime
from tests.fakes.chat import DEMO_PHONE, DEMO_PIN, Chat
from tests.fakes.gazoop_server import FakeGazoop, rides

NOTE = "Only your last 25 bookings can be shown."
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def gazoop() -> Iterator[FakeGazoop]:
    with FakeGazoop().running() as fake:
        yield fake


@pytest.fixture
def chat(gazoop: FakeGazoop, memory_redis, settings, clock):
    backend = GazoopBackend(gazoop.url, tz=settings.tz, clock=clock)
    runtime = build_runtime(settings, redis_client=memory_redis, backend=backend, clock=clock)
    yield lambda channel="sms": Chat(runtime.engine, channel=channel)
    backend.close()


def with_rides(gazoop: FakeGazoop, count: int, clock) -> None:
    newest = clock.now.astimezone(LONDON).replace(tzinfo=None) + timedelta(days=2)
    gazoop.add_account(DEMO_PHONE, DEMO_PIN, rides(newest, count))


def test_paging_past_the_end_of_the_last_25_says_so_and_starts_over(gazoop, chat, clock) -> None:
    with_rides(gazoop, 30, clock)  # Gazoop answers the newest 25
    sms = chat("sms")
    sms.login()
    pages = [sms.send("BOOKINGS")]
    assert pages[0].startswith("Your bookings, soonest first:")  # the one ride ahead
    while not pages[-1].startswith(NOTE):
        assert NOTE not in pages[-1]
        pages.append(sms.send("MORE"))
        assert len(pages) < 10
    assert [p.splitlines()[0] for p in pages[1:-1]] == [
        "Your bookings in the past 1-5 of 24:",
        "Your bookings in the past 6-10 of 24:",
        "Your bookings in the past 11-15 of 24:",
        "Your bookings in the past 16-20 of 24:",
        "Your bookings in the past 21-24 of 24:",
    ]
    assert pages[-1].splitlines()[1] == "Your bookings, soonest first:"
    assert sms.send("MORE").startswith("Your bookings in the past 1-5 of 24:")


def test_the_note_is_not_repeated_when_the_page_is_shown_again(gazoop, chat, clock) -> None:
    with_rides(gazoop, 25, clock)
    tg = chat("telegram")
    tg.login()
    tg.send("/bookings")
    while NOTE not in tg.send("MORE"):
        pass
    again = tg.send("what?")
    assert NOTE not in again and "Your bookings, soonest first:" in again


def test_fewer_rides_than_the_limit_are_all_there_is(gazoop, chat, clock) -> None:
    with_rides(gazoop, 7, clock)
    sms = chat("sms")
    sms.login()
    shown = [sms.send("BOOKINGS")] + [sms.send("MORE") for _ in range(4)]
    assert not any(NOTE in page for page in shown)


def test_a_platform_without_a_limit_never_says_it(engine, clock) -> None:
    sms = Chat(engine, channel="sms")
    sms.login()
    shown = [sms.send("BOOKINGS")] + [sms.send("MORE") for _ in range(6)]
    assert not any("Only your last" in page for page in shown)
