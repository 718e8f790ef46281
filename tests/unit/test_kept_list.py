"""BOOKINGS shows the list kept with the session, never one a cancel or a booking has outdated."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest

from bot.backends.protocol import BookingRequest, BookingStatus
from bot.runtime import build_runtime
from tests.fakes.chat import Chat


@pytest.fixture
def workers(any_redis, faulty, settings, clock):
    """Two worker processes' engines: one store, one booking database, no memory shared."""
    return [
        build_runtime(settings, redis_client=any_redis, backend=faulty, clock=clock).engine
        for _ in range(2)
    ]


def upcoming_one_off(backend, chat: Chat, clock) -> str:
    customer = chat.session.get_customer()
    found = backend.recent_bookings(customer)
    later = clock() + timedelta(days=2)
    return next(
        b.id
        for b in found
        if b.status is BookingStatus.BOOKED and b.series_id is None and b.start > later
    )


def lines_about(answer: str, booking_id: str) -> list[str]:
    return [line for line in answer.splitlines() if f"#{booking_id} " in line]


def test_the_list_again_is_shown_without_asking_the_platform(faulty_chat, faulty):
    sms = faulty_chat("sms")
    sms.login()
    first = sms.send("BOOKINGS")
    calls = faulty.calls["recent_bookings"]
    sms.send("MENU")
    assert sms.send("BOOKINGS") == first
    assert faulty.calls["recent_bookings"] == calls


def test_a_kept_list_this_version_cannot_read_is_read_afresh(faulty_chat, faulty):
    """A list kept by another version (a deploy changed the booking's fields) is not an error."""
    sms = faulty_chat("sms")
    sms.login()
    first = sms.send("BOOKINGS")
    sms.send("MENU")
    session = sms.session
    assert session.kept_list is not None
    session.kept_list.bookings = msgspec.Raw(b'[{"from_another_version": 1}]')
    sms.engine.store.save(f"sms:{sms.conversation}", session)
    calls = faulty.calls["recent_bookings"]
    assert sms.send("BOOKINGS") == first
    assert faulty.calls["recent_bookings"] == calls + 1


def test_a_cancel_on_one_worker_is_not_shown_as_booked_by_another(workers, faulty, clock):
    first, second = (Chat(engine) for engine in workers)
    first.login()
    booking_id = upcoming_one_off(faulty, first, clock)
    assert "Cancelled" not in lines_about(first.send("BOOKINGS"), booking_id)[0]
    second.send(f"CANCEL #{booking_id}")
    assert "cancelled" in second.send("YES").lower()
    assert all("Cancelled" in line for line in lines_about(first.send("BOOKINGS"), booking_id))


def test_a_booking_made_through_the_bot_shows_at_once(faulty_chat, faulty):
    sms = faulty_chat("sms")
    sms.login()
    sms.send("BOOKINGS")
    sms.send("BOOK standard clean tomorrow 10am at 12 High St, London")
    booked = sms.send("YES")
    assert booked.startswith("Booked! #")
    booking_id = booked.removeprefix("Booked! #").split()[0]
    assert lines_about(sms.send("BOOKINGS"), booking_id)


def test_a_change_made_elsewhere_shows_once_the_kept_list_expires(
    faulty_chat, faulty, clock, settings
):
    sms = faulty_chat("sms")
    sms.login()
    sms.send("BOOKINGS")
    customer = sms.session.get_customer()
    catalogue = faulty.catalogue()
    service = next(s for s in catalogue.services if s.kind == "address")
    start = (clock() + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    request = BookingRequest(service.id, start, address="1 Other St", city="London")
    made = faulty.create_booking(customer, request, "made-by-the-office")  # not through the bot
    clock.advance(seconds=settings.bookings_keep_seconds - 1)
    assert not lines_about(sms.send("BOOKINGS"), made.id)
    clock.advance(seconds=1)
    assert lines_about(sms.send("BOOKINGS"), made.id)


def test_no_list_is_kept_when_keeping_is_off(any_redis, faulty, settings, clock):
    from dataclasses import replace

    off = replace(settings, bookings_keep_seconds=0)
    engine = build_runtime(off, redis_client=any_redis, backend=faulty, clock=clock).engine
    sms = Chat(engine)
    sms.login()
    sms.send("BOOKINGS")
    calls = faulty.calls["recent_bookings"]
    sms.send("BOOKINGS")
    assert faulty.calls["recent_bookings"] == calls + 1
    assert sms.session.kept_list is None


def test_logging_out_forgets_the_list(faulty_chat):
    sms = faulty_chat("sms")
    sms.login()
    sms.send("BOOKINGS")
    assert sms.session.kept_list is not None
    sms.send("LOGOUT")
    assert sms.session.kept_list is None
