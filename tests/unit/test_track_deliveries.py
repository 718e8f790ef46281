"""TRACK through a tracking platform (Foxtrot composed with the built-in store): the customer's
deliveries, not the booking platform's bookings. Against a local Foxtrot server."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from bot.backends.builtin import BuiltinBackend
from bot.backends.composed import ComposedBackend
from bot.backends.foxtrot import FoxtrotTracking
from bot.conversation.states import State
from bot.runtime import build_runtime
from tests.fakes.chat import DEMO_PHONE, Chat
from tests.fakes.foxtrot_server import FakeFoxtrot, waypoint

KEY, DC = "fox-test-key", "Foxtrot-DC"
NO_DELIVERIES = "No deliveries found for you."


@pytest.fixture
def foxtrot() -> Iterator[FakeFoxtrot]:
    with FakeFoxtrot(KEY, DC).running() as fake:
        yield fake


@pytest.fixture
def chat(memory_redis, backend: BuiltinBackend, foxtrot: FakeFoxtrot, settings, clock):
    composed = ComposedBackend(backend, FoxtrotTracking(KEY, DC, base_url=foxtrot.url))
    engine = build_runtime(settings, redis_client=memory_redis, backend=composed, clock=clock)

    def make(channel: str = "sms") -> Chat:
        return Chat(engine.engine, channel=channel)

    return make


def on_its_way(foxtrot: FakeFoxtrot, now: Any, **kw: Any) -> None:
    foxtrot.add_customer(
        DEMO_PHONE, waypoint("wp-next", DEMO_PHONE, eta=now + timedelta(minutes=12), ahead=4), **kw
    )


def test_one_delivery_is_said_at_once_with_stops_and_eta(chat, foxtrot, clock) -> None:
    on_its_way(foxtrot, clock.now)
    tg = chat("telegram")
    tg.login()
    answer = tg.send("/track")
    assert answer.startswith("Your delivery is 4 stops away, about 12 min (around 10:12).")
    assert tg.options == ["Track again", "Menu"]
    assert tg.session.state == State.MENU
    assert "Your delivery is 4 stops away" in tg.press("Track again")


def test_several_deliveries_are_listed_soonest_first_and_paged_with_more(
    chat, foxtrot, clock
) -> None:
    now = clock.now
    done = [
        waypoint(f"wp-done-{n}", DEMO_PHONE, completed=now - timedelta(days=n, hours=1))
        for n in range(1, 9)
    ]
    soon = waypoint("wp-soon", DEMO_PHONE, eta=now + timedelta(minutes=25), ahead=6)
    nxt = waypoint("wp-next", DEMO_PHONE, eta=now + timedelta(minutes=5), ahead=0)
    foxtrot.add_customer(DEMO_PHONE, *done, soon, nxt)
    sms = chat("sms")
    sms.login()
    first = sms.send("TRACK")
    assert first.splitlines()[:3] == [
        "Your deliveries 1-5 of 10:",
        "1 On the way, next stop, around 10:05",
        "2 On the way, 6 stops away, around 10:25",
    ]
    assert "3 Delivered yesterday at 09:00" in first
    assert sms.session.state == State.TRACK_CHOOSE
    second = sms.send("MORE")
    assert second.startswith("Your deliveries 6-10 of 10:")
    assert "5 Delivered on Sun 15 Nov at 09:00" in second
    assert sms.send("5").startswith("Your delivery was completed on Sun 15 Nov at 09:00.")
    assert sms.session.state == State.MENU


def test_a_location_foxtrot_is_not_sure_of_is_said_kindly(chat, foxtrot, clock) -> None:
    on_its_way(foxtrot, clock.now, location_confident=False)
    sms = chat("sms")
    sms.login()
    assert sms.send("TRACK").startswith(
        "Your delivery is 4 stops away, about 12 min (around 10:12). We're not yet sure of your"
        " exact location, so the driver may call you."
    )


@pytest.mark.parametrize("fault", ["unknown customer", "403", "404"])
def test_no_deliveries_are_said_plainly(chat, foxtrot, clock, fault: str) -> None:
    if fault != "unknown customer":
        on_its_way(foxtrot, clock.now)
        foxtrot.force_status = int(fault)
    sms = chat("sms")
    sms.login()
    answer = sms.send("TRACK")
    assert answer.startswith(f"{NO_DELIVERIES}\nWhat would you like")
    assert sms.session.state == State.MENU


def test_a_rejected_api_key_is_logged_for_the_operator_and_the_customer_hears_kindly(
    chat, foxtrot, clock, caplog: pytest.LogCaptureFixture
) -> None:
    on_its_way(foxtrot, clock.now)
    foxtrot.api_key = "rotated-key"
    sms = chat("sms")
    sms.login()
    with caplog.at_level(logging.WARNING):
        answer = sms.send("TRACK")
    assert answer.startswith("Sorry, I can't check where your delivery is just now.")
    assert "What would you like" in answer
    assert "401" not in answer and "key" not in answer.lower()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert any("FOXTROT_API_KEY" in r.getMessage() for r in errors)
    assert sms.session.logged_in


def test_track_it_from_a_booking_shows_the_delivery(chat, foxtrot, clock) -> None:
    on_its_way(foxtrot, clock.now)
    tg = chat("telegram")
    tg.login()
    tg.send("/bookings")
    tg.send("1")
    assert tg.press("Track it").startswith("Your delivery is 4 stops away")


def test_a_delivery_gone_since_the_list_leaves_the_one_still_there(chat, foxtrot, clock) -> None:
    on_its_way(foxtrot, clock.now)
    done = waypoint("wp-done", DEMO_PHONE, completed=clock.now - timedelta(hours=2))
    foxtrot.customers[DEMO_PHONE].waypoints.append(done)
    sms = chat("sms")
    sms.login()
    assert sms.send("TRACK").startswith("Your deliveries, soonest first:")
    foxtrot.customers[DEMO_PHONE].waypoints[:] = [done]
    assert sms.send("1") == "Your delivery was completed at 08:00.\n1 Track again\n2 Menu"
