"""The booking list: newest first, paged, numbers that refer to the list shown last."""

from __future__ import annotations

import re

from bot.channels.sms import is_gsm7, segments
from bot.conversation.states import State


def listed_ids(answer: str) -> list[str]:
    return re.findall(r"#(\d+)", answer)


def test_bookings_on_sms_come_newest_first_in_pages_of_two_segments(chat, backend) -> None:
    sms = chat("sms")
    sms.login()
    everything = backend.recent_bookings(sms.session.get_customer())
    assert len(everything) >= 7
    assert [b.start for b in everything] == sorted((b.start for b in everything), reverse=True)
    answer = sms.send("BOOKINGS")
    assert answer.startswith("Your bookings 1-")
    seen: list[str] = []
    pages = 0
    while True:
        pages += 1
        assert is_gsm7(answer) and segments(answer) <= 2, answer
        page = listed_ids(answer)
        assert len(page) >= 1
        seen += page
        if "More" not in answer:
            break
        answer = sms.send("MORE")
    assert seen == [b.id for b in everything]
    assert pages > 1


def test_each_line_says_id_status_when_service_and_where(chat, backend, settings) -> None:
    sms = chat("sms")
    sms.login()
    answer = sms.send("BOOKINGS")
    newest = backend.recent_bookings(sms.session.get_customer())[0]
    line = answer.splitlines()[1]
    local = newest.start.astimezone(settings.tz)
    when = f"{local:%a} {local.day} {local:%b %H:%M}"
    assert line.startswith(f"1 #{newest.id} Booked, {when}, {newest.service}")
    assert re.search(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2} \d\d:\d\d\b", line)


def test_more_after_the_last_page_starts_again(chat) -> None:
    sms = chat("sms")
    sms.login()
    first = sms.send("BOOKINGS")
    answer = sms.send("MORE")
    while "More" in answer:
        answer = sms.send("MORE")
    assert listed_ids(sms.send("MORE")) == listed_ids(first)


def test_a_number_refers_to_the_list_shown_last(chat, backend) -> None:
    sms = chat("sms")
    sms.login()
    everything = backend.recent_bookings(sms.session.get_customer())
    sms.send("BOOKINGS")
    assert f"Booking #{everything[1].id}:" in sms.send("2")
    assert sms.session.state == State.BOOKING
    sms.send("BOOKINGS")
    second_page = listed_ids(sms.send("MORE"))
    assert second_page[0] != everything[0].id
    assert f"Booking #{second_page[1]}:" in sms.send("2")


def test_telegram_shows_one_page_of_buttons(chat, backend) -> None:
    tg = chat("telegram")
    tg.login()
    tg.send("/bookings")
    everything = backend.recent_bookings(tg.session.get_customer())
    values = [o.value for o in tg.replies[0].options]
    assert values == [b.id for b in everything[:8]] + (["MORE"] if len(everything) > 8 else []) + [
        "MENU"
    ]
    assert f"Booking #{everything[0].id}:" in tg.press(f"#{everything[0].id}")


def test_booking_details_offer_cancel_only_when_it_can_be(chat, backend, clock) -> None:
    sms = chat("sms")
    sms.login()
    everything = backend.recent_bookings(sms.session.get_customer())
    past = next(b for b in everything if b.start < clock())
    upcoming = next(b for b in everything if b.start > clock())
    sms.send("BOOKINGS")
    details = sms.send(upcoming.id)
    assert f"Booking #{upcoming.id}: Booked" in details
    assert "1 Cancel it" in details
    sms.send("BOOKINGS")
    sms.send("MORE")
    details = sms.send(past.id)
    assert f"Booking #{past.id}: Completed" in details
    assert "Cancel it" not in details


def test_unknown_text_in_the_list_says_what_to_send(chat) -> None:
    sms = chat("sms")
    sms.login()
    sms.send("BOOKINGS")
    answer = sms.send("what?")
    assert "Sorry, I didn't understand that." in answer
    assert "MORE" in answer
    assert sms.session.state == State.BOOKINGS
