"""TRACK: where the ride or the cleaner is, for backends that can tell."""

from __future__ import annotations

from datetime import timedelta

from bot.backends.protocol import Capability
from bot.conversation.states import State
from bot.runtime import build_runtime
from tests.fakes.chat import Chat


def test_track_lists_upcoming_bookings_soonest_first_then_tracks_the_chosen(
    chat, backend, clock
) -> None:
    sms = chat("sms")
    sms.login()
    answer = sms.send("TRACK")
    upcoming = sorted(
        (b for b in backend.recent_bookings(sms.session.get_customer()) if b.start > clock()),
        key=lambda b: b.start,
    )
    assert answer.startswith("Which booking?")
    assert f"1 #{upcoming[0].id}" in answer
    assert sms.session.state == State.TRACK_CHOOSE
    tracked = sms.send("1")
    assert tracked.startswith(f"Booking #{upcoming[0].id}: ")
    assert "Track again" in tracked
    assert sms.session.state == State.MENU


def test_a_ride_within_two_hours_says_how_far_away_it_is(chat, backend, clock) -> None:
    customer = backend.login("447700900123", "1234")
    soonest = min(
        (b for b in backend.recent_bookings(customer) if b.start > clock()),
        key=lambda b: b.start,
    )
    assert soonest.pickup, "the demo's soonest booking is a ride"
    clock.now = soonest.start - timedelta(minutes=40)
    tg = chat("telegram")
    tg.login()
    answer = tg.send(f"/track #{soonest.id}")
    assert "on the way" in answer
    assert "4 stops before yours." in answer
    assert "Arriving in about 40 min" in answer


def test_track_of_an_unknown_booking_says_so(chat) -> None:
    sms = chat("sms")
    sms.login()
    assert "I can't find booking 99999." in sms.send("TRACK 99999")


def test_track_is_not_offered_when_the_backend_cannot_track(
    memory_redis, backend, settings, clock
) -> None:
    backend.capabilities = frozenset({Capability.BOOK, Capability.CANCEL})
    runtime = build_runtime(settings, redis_client=memory_redis, backend=backend, clock=clock)
    sms = Chat(runtime.engine, channel="sms")
    menu = sms.login()
    assert "Track" not in menu
    assert "Sorry, tracking isn't available here.\nWhat would you like" in sms.send("TRACK")
    assert "TRACK" not in sms.send("HELP")
