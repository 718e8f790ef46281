"""Booking by chat with the built-in backend, on SMS and on Telegram, on both session stores."""

from __future__ import annotations

import re

from bot.channels.sms import is_gsm7, segments
from bot.conversation.states import State

ONE_MESSAGE = "BOOK standard clean tomorrow 10am at 12 High St, London"


def sms_sized(answer: str) -> str:
    assert is_gsm7(answer), answer
    assert segments(answer) <= 2, answer
    assert "’" not in answer and "“" not in answer
    return answer


def booking_id(answer: str) -> str:
    found = re.search(r"Booked! #(\d+)", answer)
    assert found, answer
    return found.group(1)


def count(backend, chat) -> int:
    return len(backend.recent_bookings(chat.session.get_customer()))


def test_guided_booking_on_sms_takes_six_messages(chat, backend) -> None:
    sms = chat("sms")
    sms.login()
    before = count(backend, sms)
    steps = [
        ("BOOK", "What would you like to book?\n1 Standard clean £60.00"),
        ("1", "How often?\n1 One-off\n2 Weekly (10% off)"),
        ("1", "When? Send a day and time (e.g. tomorrow 10am), or choose:\n1 Mon 23 Nov 12:00"),
        ("tomorrow 10am", "What's the address for the Standard clean?"),
        (
            "12 High Street, Kingston upon Thames KT1 1LQ",
            "Standard clean\nTue 24 Nov 10:00, one-off\n12 High Street",
        ),
    ]
    for text, expected in steps:
        answer = sms_sized(sms.send(text))
        assert answer.startswith(expected), (text, answer)
    assert "Total £60.00" in answer
    assert answer.endswith(
        "1 Book it\n2 Add extras\n3 Add a note\n4 Change something\n5 Don't book"
    )
    assert sms.session.state == State.BOOK_CONFIRM

    answer = sms_sized(sms.send("YES"))
    number = booking_id(answer)
    assert answer.startswith(
        f"Booked! #{number} Standard clean, Tue 24 Nov 10:00, "
        "12 High Street, Kingston upon Thames KT1 1LQ. Total £60.00."
    )
    assert len(sms.transcript) == 2 + 6, "login (2), then six messages"
    assert "1 My bookings\n2 Book\n" in answer
    assert sms.session.state == State.MENU and sms.session.draft is None
    assert count(backend, sms) == before + 1


def test_extras_and_a_note_are_offered_at_the_summary(chat, backend) -> None:
    sms = chat("sms")
    sms.login()
    sms.send(ONE_MESSAGE)
    assert sms_sized(sms.send("EXTRAS")).startswith("Any extras?")
    assert sms.send("2 oven").startswith("Standard clean + Oven clean x2\n")
    answer = sms.send("NOTE Key under the mat")
    assert "Note: Key under the mat" in answer and "Total £110.00" in answer
    answer = sms_sized(sms.send("YES"))
    made = backend.booking(sms.session.get_customer(), booking_id(answer))
    assert made.extras == ("Oven clean x2",)


def test_step_by_step_on_telegram_with_buttons(chat, backend) -> None:
    tg = chat("telegram")
    tg.login()
    tg.press("Book")
    assert "Deep clean £120.00" in tg.options
    tg.press("Deep clean")
    tg.press("Weekly")
    first_slot = tg.options[0]
    tg.press(first_slot)
    assert "address" in tg.replies[0].text
    answer = tg.send("5 Elm Road, Leeds LS1 4AB")
    assert answer.startswith("Deep clean\nMon 23 Nov 12:00, weekly\n5 Elm Road")
    tg.press("Add extras")
    tg.press("Inside fridge")
    assert tg.replies[0].text.startswith("Extras: Inside fridge.")
    answer = tg.press("Done")
    # Telegram shows how the price is made up
    assert (
        "Deep clean £120.00\nInside fridge £15.00\nWeekly discount -£13.50\nTotal £121.50" in answer
    )
    answer = tg.press("Book it")
    assert f"Booked! #{booking_id(answer)} Deep clean, Mon 23 Nov 12:00" in answer
    assert "Total £121.50." in answer
    assert tg.options[:2] == ["My bookings", "Book"]


def test_one_message_booking_takes_two_messages(chat) -> None:
    sms = chat("sms")
    sms.login()
    answer = sms_sized(sms.send(ONE_MESSAGE))
    assert answer.startswith(
        "Standard clean\nTue 24 Nov 10:00, one-off\n12 High St, London\nTotal £60.00"
    )
    answer = sms.send("yes")
    assert re.match(
        r"Booked! #\d+ Standard clean, Tue 24 Nov 10:00, 12 High St, London\. "
        r"Total £60\.00\.",
        answer,
    )


def test_one_message_weekly_booking_takes_two_messages(chat) -> None:
    sms = chat("sms")
    sms.login()
    answer = sms_sized(sms.send("standard clean tomorrow 10am at 12 High St weekly"))
    assert answer.startswith("Standard clean\nTue 24 Nov 10:00, weekly\n12 High St\n")
    assert "Booked!" in sms.send("YES")


def test_one_message_ride_goes_straight_to_the_summary(chat) -> None:
    tg = chat("telegram")
    tg.login()
    answer = tg.send("/book city ride from Wood St to Surbiton Station fri 10:30 weekly")
    assert answer.startswith("City ride\nFri 27 Nov 10:30, weekly\nWood St to Surbiton Station")


def test_plain_text_at_the_service_question_carries_fields(chat) -> None:
    sms = chat("sms")
    sms.login()
    sms.send("BOOK")
    answer = sms.send("deep clean 24/11 9am 5 Elm Road, Leeds")
    assert answer.startswith("Deep clean\nTue 24 Nov 09:00, one-off")
    draft = sms.session.draft
    assert (draft["service"], draft["address"], draft["city"]) == (
        "deep-clean",
        "5 Elm Road, Leeds",
        "Leeds",
    )
    assert draft["start"] == "2026-11-24T09:00:00+00:00"


def test_editing_a_field_from_the_summary(chat) -> None:
    sms = chat("sms")
    sms.login()
    answer = sms.send(ONE_MESSAGE)
    assert "Tue 24 Nov 10:00" in answer
    first_key = sms.session.draft["quote"]["digest"]

    answer = sms_sized(sms.send("EDIT"))
    assert answer.startswith(
        "What would you like to change?\n1 Service\n2 Extras\n3 How often\n4 When"
    )
    answer = sms.send("4")
    assert answer.startswith("When?")
    answer = sms.send("wed 2pm")
    assert answer.startswith("Standard clean\nWed 25 Nov 14:00, one-off\n12 High St, London")
    assert sms.session.draft["quote"]["digest"] != first_key

    answer = sms.send("EDIT how often")
    assert answer.startswith("How often?")
    answer = sms.send("weekly")
    assert "Wed 25 Nov 14:00, weekly" in answer and "Total £54.00" in answer

    sms.send("EDIT")
    answer = sms.send("Service")
    assert answer.startswith("What would you like to book?")
    answer = sms.send("airport transfer")  # a ride: needs a pickup and a dropoff now
    assert answer.startswith("Where should we pick you up?")
    sms.send("12 High St, London")
    answer = sms.send("Heathrow T5")
    assert answer.startswith(
        "Airport transfer\nWed 25 Nov 14:00, weekly\n12 High St, London to Heathrow T5"
    )
    answer = sms.send("YES")
    assert "Booked!" in answer and "Airport transfer" in answer


def test_no_or_cancel_at_the_summary_books_nothing_and_forgets_the_draft(chat, backend) -> None:
    for word in ("NO", "cancel"):
        tg = chat("telegram")
        tg.login()
        before = count(backend, tg)
        tg.send(ONE_MESSAGE)
        answer = tg.send(word)
        assert answer.startswith("OK, I haven't booked it.")
        assert tg.session.draft is None and tg.session.state == State.MENU
        assert count(backend, tg) == before


def test_menu_keeps_the_draft_and_book_offers_to_carry_on(chat) -> None:
    tg = chat("telegram")
    tg.login()
    tg.send("/book standard clean tomorrow 10am")
    tg.send("MENU")
    assert "Finish my booking" in tg.options
    tg.press("Finish my booking")
    assert tg.replies[0].text == "You have an unfinished booking."
    assert tg.options == [
        "Carry on with your booking (Standard clean, Tue 24 Nov 10:00)",
        "Start again",
    ]
    tg.press("Carry on")
    assert tg.replies[0].text.startswith("What's the address")
    tg.send("BOOK")
    tg.press("Start again")
    assert tg.replies[0].text == "What would you like to book?"
    assert tg.session.draft["service"] is None


def test_resume_after_the_conversation_timed_out(chat, clock) -> None:
    sms = chat("sms")
    sms.login()
    sms.send("BOOK standard clean tomorrow 10am")
    clock.advance(minutes=31)
    answer = sms.send("12 High St, London")
    assert "timed out" in answer and "PIN" in answer
    answer = sms.send("1234")
    assert "Finish my booking" in answer
    answer = sms_sized(sms.send("BOOK"))
    assert answer == (
        "You have an unfinished booking.\n"
        "1 Carry on with your booking (Standard clean, Tue 24 Nov 10:00)\n2 Start again"
    )
    assert sms.session.state == State.BOOK_RESUME
    assert sms.send("1").startswith("What's the address")
    answer = sms.send("12 High St, London")
    assert answer.startswith("Standard clean\nTue 24 Nov 10:00")
    assert "Booked!" in sms.send("YES")


def test_telegram_shared_location_as_pickup(chat) -> None:
    tg = chat("telegram")
    tg.login()
    tg.send("/book city ride tomorrow 3pm")
    assert tg.replies[0].text == (
        "Got it: City ride, Tue 24 Nov 15:00.\nWhere should we pick you up (or share a location)?"
    )
    tg.send(location=(51.5, -0.12))
    assert tg.replies[0].text == "Where to?"
    answer = tg.send("Heathrow T5")
    assert "Shared location 51.50, -0.12 to Heathrow T5" in answer
    answer = tg.press("Book it")
    assert "Booked!" in answer


def test_the_new_booking_shows_in_bookings_with_id_time_and_price(chat) -> None:
    sms = chat("sms")
    sms.login()
    sms.send("BOOK deep clean tue 24/11 2pm at 5 Elm Road, Leeds")
    number = booking_id(sms.send("YES"))
    answer = sms.send("BOOKINGS")
    for _ in range(10):
        if f"#{number}" in answer:
            break
        answer = sms.send("MORE")
    line = next(li for li in answer.splitlines() if f"#{number}" in li)
    assert "Tue 24 Nov 14:00" in line and "Deep clean" in line  # the price is in its details
    details = sms.send(line.split()[0])
    assert details.startswith(f"Booking #{number}: Booked")
    assert "When: Tue 24 Nov 14:00" in details
    assert "Price: £120.00" in details


def test_a_draft_older_than_a_day_is_gone(chat, clock) -> None:
    sms = chat("sms")
    sms.login()
    sms.send(ONE_MESSAGE)
    clock.advance(hours=25)
    sms.login()
    assert sms.session.draft is None
    assert sms.send("BOOK").startswith("What would you like to book?")


def test_the_longest_replies_still_fit_two_sms_segments(chat) -> None:
    sms = chat("sms")
    sms.login()
    sms.send(
        "BOOK standard clean with 2 oven, fridge, windows, 3 ironing tomorrow 10am weekly at "
        "Flat 12, Some Very Long Building Name, 123 Extraordinarily Long Street Name, "
        "Kingston upon Thames KT1 1LQ"
    )
    answer = sms.send("NOTE Please ring the bell twice and wait, the dog is friendly but loud")
    assert answer.startswith("Standard clean + Oven clean x2, Inside fridge, Interior windows")
    assert "Total £179.10 (incl. Weekly discount -£19.90)" in answer
    sms.send("EDIT when")
    assert "too far ahead" in sms.send("24/3 10am")  # the longest time explanation
    sms.send("1")
    assert sms.send("EDIT").startswith("What would you like to change?")
    for _, answer in sms.transcript:
        sms_sized(answer)


def test_plain_text_naming_a_service_starts_a_booking(chat) -> None:
    sms = chat("sms")
    sms.login()
    assert sms.send("hello").startswith("Sorry, I didn't understand that.")
    assert sms.session.state == State.MENU
    sms.send("deep clean tomorrow 9am at 5 Elm Road, Leeds")
    assert sms.session.state in (State.BOOK_EXTRAS, State.BOOK_FREQUENCY, State.BOOK_CONFIRM)
    assert sms.session.draft["address"] == "5 Elm Road, Leeds"


def test_extras_chosen_by_button_and_text_add_up_and_an_edit_starts_afresh(chat) -> None:
    tg = chat("telegram")
    tg.login()
    tg.send("/book standard clean tomorrow 10am at 12 High St, London")
    tg.press("Add extras")
    tg.press("Inside fridge")
    answer = tg.send("2 oven")
    assert answer.startswith("Standard clean + Oven clean x2, Inside fridge\n")
    tg.press("Change")
    tg.press("Extras")
    assert tg.replies[0].text.startswith("Any extras?")
    tg.press("Interior windows")
    answer = tg.press("Done")
    assert answer.startswith("Standard clean + Interior windows\nTue 24 Nov 10:00, one-off\n")
    assert "Total £80.00" in answer
