"""The booking list: what's next first, a series on one line, past ones on request, paged."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.backends.protocol import BookingRequest
from bot.channels.sms import is_gsm7, segments
from bot.conversation.listing import past, upcoming
from bot.conversation.states import State


def listed_ids(answer: str) -> list[str]:
    return re.findall(r"#(\d+)", answer)


def add_rides(backend, customer, clock, count: int) -> None:
    start = (clock.now + timedelta(days=3)).replace(hour=12, minute=0)
    for n in range(count):
        request = BookingRequest(
            "city-ride", start + timedelta(days=n), "one-off", pickup="1 Wood St", dropoff="Bank"
        )
        backend.create_booking(customer, request, idempotency_key=f"list-ride-{n}")


def test_upcoming_first_soonest_on_top_and_a_series_is_one_line(chat, backend, clock) -> None:
    sms = chat("sms")
    sms.login()
    found = backend.recent_bookings(sms.session.get_customer())
    ahead = upcoming(found, clock.now)
    answer = sms.send("BOOKINGS")
    assert answer.startswith("Your bookings, soonest first:\n1 #")
    assert listed_ids(answer) == [b.id for b in ahead]
    assert [b.start for b in ahead] == sorted(b.start for b in ahead)
    series = next(b for b in ahead if b.recurring)
    local = series.start.astimezone(sms.engine.settings.tz)
    assert f"#{series.id} Weekly Standard clean, next {local:%a} {local.day} {local:%b %H:%M}" in (
        answer
    )
    assert sum(1 for b in found if b.recurring) > 1, "the series has more visits than the line"


def test_past_bookings_come_on_request(chat, backend, clock) -> None:
    sms = chat("sms")
    sms.login()
    before = past(backend.recent_bookings(sms.session.get_customer()), clock.now)
    answer = sms.send("BOOKINGS")
    assert "Past" in sms.options
    for booking in before:
        assert f"#{booking.id}" not in answer
    older = sms.send("PAST")
    assert older.startswith("Your bookings in the past")
    assert listed_ids(older) == [b.id for b in before][: len(listed_ids(older))]


def test_sms_pages_hold_five_bookings_in_two_segments_with_more(chat, backend, clock) -> None:
    sms = chat("sms")
    sms.login()
    customer = sms.session.get_customer()
    add_rides(backend, customer, clock, 8)
    ahead = upcoming(backend.recent_bookings(customer), clock.now)
    assert len(ahead) > 10
    answer = sms.send("BOOKINGS")
    seen: list[str] = []
    pages = 0
    while True:
        pages += 1
        assert is_gsm7(answer) and segments(answer) <= 2, answer
        page = listed_ids(answer)
        assert len(page) == 5 or "More" not in answer, answer
        seen += page
        if "More" not in answer:
            break
        answer = sms.send("MORE")
    assert seen == [b.id for b in ahead]
    assert pages == 3


def test_a_number_refers_to_the_list_shown_last(chat, backend, clock) -> None:
    sms = chat("sms")
    sms.login()
    add_rides(backend, sms.session.get_customer(), clock, 6)
    ahead = upcoming(backend.recent_bookings(sms.session.get_customer()), clock.now)
    sms.send("BOOKINGS")
    assert f"Booking #{ahead[1].id}:" in sms.send("2")
    assert sms.session.state == State.BOOKING
    sms.send("BOOKINGS")
    shown = listed_ids(sms.send("MORE"))
    assert f"Booking #{shown[1]}:" in sms.send("2")


def test_telegram_shows_eight_a_page_as_buttons(chat, backend, clock) -> None:
    tg = chat("telegram")
    tg.login()
    add_rides(backend, tg.session.get_customer(), clock, 8)
    ahead = upcoming(backend.recent_bookings(tg.session.get_customer()), clock.now)
    tg.send("/bookings")
    values = [o.value for o in tg.replies[0].options]
    assert values == [b.id for b in ahead[:8]] + ["MORE", "PAST", "MENU"]
    assert f"Booking #{ahead[0].id}:" in tg.press(f"#{ahead[0].id}")


def test_booking_details_offer_cancel_only_when_it_can_be(chat, backend, clock) -> None:
    sms = chat("sms")
    sms.login()
    everything = backend.recent_bookings(sms.session.get_customer())
    old = next(b for b in everything if b.start < clock())
    soon = upcoming(everything, clock())[0]
    sms.send("BOOKINGS")
    details = sms.send(f"#{soon.id}")
    assert f"Booking #{soon.id}: Booked" in details
    assert "1 Cancel it" in details
    sms.send("BOOKINGS")
    sms.send("PAST")
    details = sms.send(f"#{old.id}")
    assert f"Booking #{old.id}: Completed" in details
    assert "Cancel it" not in details


def test_unknown_text_in_the_list_says_what_to_send(chat) -> None:
    sms = chat("sms")
    sms.login()
    sms.send("BOOKINGS")
    answer = sms.send("what?")
    assert answer.startswith("Sorry, I didn't understand that.\nYour bookings")
    assert sms.session.state == State.BOOKINGS


def test_more_after_the_last_upcoming_page_shows_the_past_then_starts_again(chat) -> None:
    sms = chat("sms")
    sms.login()
    first = sms.send("BOOKINGS")
    assert sms.send("MORE").startswith("Your bookings in the past")
    assert sms.send("MORE") == first
