"""What the booking flow says when a time, an address or the platform says no, and the way back."""

from __future__ import annotations

import pytest

from bot.backends.protocol import Rejected
from bot.conversation.states import State
from tests.fakes.chat import Chat


def at_time_question(chat) -> Chat:
    sms = chat("sms")
    sms.login()
    sms.send("BOOK deep clean at 5 Elm Road, Leeds LS1 4AB")
    assert sms.send("one-off").startswith("When?")
    return sms


@pytest.mark.parametrize(
    ("text", "said", "first_slot"),
    [
        (
            "whenever",
            'Sorry, I couldn\'t read a time in "whenever". Free times:',
            "Mon 23 Nov 12:00",
        ),
        ("10", 'I can\'t tell which day and time "10" means. Free times:', "Mon 23 Nov 12:00"),
        (
            "today 9am",
            "I read that as Mon 23 Nov 09:00, which is in the past. Free times:",
            "Mon 23 Nov 12:00",
        ),
        (
            "in 1 hour",
            "I read that as Mon 23 Nov 11:00, which is too soon: we need at least 2 hours. Free times:",
            "Mon 23 Nov 12:00",
        ),
        (
            "tomorrow 10pm",
            "I read that as Tue 24 Nov 22:00, which is outside our hours (07:00-20:00). Free times:",
            "Tue 24 Nov 18:30",
        ),
        (
            "24/3 10am",
            "I read that as Wed 24 Mar 2027 10:00, which is too far ahead: "
            "we book up to 60 days ahead. Free times:",
            "Fri 22 Jan 08:30",
        ),
        ("thursday", "I read that as Thu 26 Nov. What time?", "Thu 26 Nov 07:00"),
    ],
)
def test_a_time_that_cannot_be_booked_is_explained_with_slots(
    chat, text: str, said: str, first_slot: str
) -> None:
    sms = at_time_question(chat)
    answer = sms.send(text)
    assert answer.startswith(said + "\n1 " + first_slot), answer
    assert answer.count("\n") == 4  # four slots
    assert sms.session.state == State.BOOK_WHEN
    answer = sms.send("2")  # the second slot offered
    assert answer.startswith("Deep clean\n")
    assert sms.session.draft["start"] is not None


def test_the_slot_buttons_carry_iso_times(chat) -> None:
    tg = chat("telegram")
    tg.login()
    tg.send("/book deep clean at 5 Elm Road, Leeds")
    tg.press("One-off")
    values = [o.value for o in tg.replies[0].options]
    assert values == [
        "2026-11-23T12:00:00+00:00",
        "2026-11-23T12:30:00+00:00",
        "2026-11-23T13:00:00+00:00",
        "2026-11-23T13:30:00+00:00",
    ]


def test_a_slot_that_went_by_while_the_customer_waited_is_refused(chat, clock) -> None:
    sms = at_time_question(chat)
    clock.advance(minutes=20)
    answer = sms.send("1")  # Mon 12:00, now less than 2 hours away
    assert answer.startswith("I read that as Mon 23 Nov 12:00, which is too soon")
    assert sms.session.state == State.BOOK_WHEN


def test_a_time_in_a_one_message_booking_that_does_not_fit_is_rejected_at_once(chat) -> None:
    sms = chat("sms")
    sms.login()
    answer = sms.send("BOOK deep clean today 9am at 5 Elm Road, Leeds")
    assert answer.startswith(
        "Got it: Deep clean, 5 Elm Road, Leeds.\n"
        "I read that as Mon 23 Nov 09:00, which is in the past. Free times:"
    )
    answer = sms.send("tomorrow 9am")
    assert answer.startswith("Deep clean\nTue 24 Nov 09:00, one-off")


def test_a_time_given_at_the_summary_is_applied_or_explained(chat) -> None:
    sms = chat("sms")
    sms.login()
    sms.send("BOOK deep clean tomorrow 9am at 5 Elm Road, Leeds")
    answer = sms.send("today 9am")
    assert answer.startswith(
        "I read that as Mon 23 Nov 09:00, which is in the past. I kept Tue 24 Nov 09:00.\n"
        "Deep clean\nTue 24 Nov 09:00"
    )
    assert sms.send("wed 11am").startswith("Deep clean\nWed 25 Nov 11:00")


def test_a_missing_address_is_asked_for_until_given(chat) -> None:
    sms = chat("sms")
    sms.login()
    sms.send("BOOK standard clean")
    sms.send("weekly")
    answer = sms.send("tomorrow 10am")
    assert answer.startswith("What's the address for the Standard clean?")
    answer = sms.send("SKIP")
    assert answer.startswith("We need the full address for the Standard clean.\nWhat's the address")
    assert sms.session.state == State.BOOK_WHERE
    answer = sms.send("home")
    assert answer.startswith("We need the full address")
    assert sms.send("12 High St, London").startswith("Standard clean\nTue 24 Nov 10:00, weekly")


def test_the_platform_rejecting_the_time_at_yes_goes_back_to_the_time(chat, clock, backend) -> None:
    sms = chat("sms")
    sms.login()
    before = len(backend.recent_bookings(sms.session.get_customer()))
    sms.send("BOOK deep clean today 12:00 at 5 Elm Road, Leeds")
    assert sms.send("one-off").startswith("Deep clean\nMon 23 Nov 12:00")
    clock.advance(minutes=5)  # the customer took a while: 12:00 is now too soon
    answer = sms.send("YES")
    assert answer.startswith("Please choose a time at least 2 hours from now.\n")
    assert "\n1 Mon 23 Nov 12:30" in answer
    assert sms.session.state == State.BOOK_WHEN
    assert len(backend.recent_bookings(sms.session.get_customer())) == before
    answer = sms.send("1")
    assert answer.startswith("Deep clean\nMon 23 Nov 12:30")
    assert "Booked!" in sms.send("YES")
    assert len(backend.recent_bookings(sms.session.get_customer())) == before + 1


def test_a_rejected_address_is_shown_and_asked_again(faulty_chat, faulty) -> None:
    faulty.fail("quote", Rejected("No.", fields={"address": "Sorry, we don't cover Leeds."}))
    sms = faulty_chat("sms")
    sms.login()
    answer = sms.send("BOOK deep clean tomorrow 10am at 5 Elm Road, Leeds")
    assert answer.startswith("Sorry, we don't cover Leeds.\nWhat's the address for the Deep clean?")
    assert sms.session.state == State.BOOK_WHERE
    assert sms.session.draft["address"] is None
    answer = sms.send("12 High St, London")
    assert answer.startswith("Deep clean\nTue 24 Nov 10:00, one-off\n12 High St, London")


def test_a_rejection_without_a_known_field_offers_changes(faulty_chat, faulty) -> None:
    faulty.fail("create_booking", Rejected("That can't be booked online, please call us."))
    sms = faulty_chat("sms")
    sms.login()
    sms.send("BOOK deep clean tomorrow 10am at 5 Elm Road, Leeds")
    sms.send("one-off")
    sms.send("SKIP")
    answer = sms.send("YES")
    assert answer.startswith(
        "That can't be booked online, please call us.\nWhat would you like to change?"
    )
    assert sms.session.state == State.BOOK_EDIT
    assert sms.session.draft is not None


def test_unknown_words_at_a_question_ask_it_again(chat) -> None:
    sms = at_time_question(chat)
    answer = sms.send("tomorrow 9am")
    assert answer.startswith("Deep clean")
    answer = sms.send("maybe")
    assert answer.startswith("Sorry, I didn't understand that.\nDeep clean")
    assert sms.session.state == State.BOOK_CONFIRM
    sms.send("BOOK")
    answer = sms.send("banana")
    assert answer.startswith("Sorry, I didn't understand that.\nYou have an unfinished booking.")
