"""One YES, one booking: repeated YES, replayed deliveries, lost answers and a platform that fails."""

from __future__ import annotations

import re

from bot.backends.protocol import BackendUnavailable, OutcomeUnknown
from bot.conversation.states import State
from tests.fakes.chat import Chat

DUPLICATE = "Careful: you already have this booked for that time."
SUMMARY = "Standard clean\nTue 24 Nov 10:00, one-off\n12 High St, London\nTotal £60.00"


def at_summary(chat: Chat) -> Chat:
    chat.login()
    answer = chat.send("BOOK standard clean tomorrow 10am at 12 High St, London")
    assert answer.removeprefix(DUPLICATE + "\n").startswith(SUMMARY)
    return chat


def bookings(backend, chat: Chat) -> list:
    return backend.recent_bookings(chat.session.get_customer())


def made_ids(backend, chat: Chat, before: list) -> list[str]:
    old = {b.id for b in before}
    return [b.id for b in bookings(backend, chat) if b.id not in old]


def test_yes_three_times_after_a_lost_answer_makes_one_booking(faulty_chat, faulty, backend):
    sms = at_summary(faulty_chat("sms"))
    before = bookings(backend, sms)
    faulty.fail("create_booking", OutcomeUnknown("read timed out"), after_call=True)
    first = sms.send("YES")
    # the create happened but its answer was lost: the bot found it among the bookings
    assert first.startswith("Booked! #")
    assert sms.session.state == State.MENU and sms.session.draft is None
    second = sms.send("YES")
    third = sms.send("yes")
    assert "Booked" not in second and "Booked" not in third
    assert faulty.calls["create_booking"] == 1
    made = made_ids(backend, sms, before)
    assert len(made) == 1
    assert first.startswith(f"Booked! #{made[0]} Standard clean, Tue 24 Nov 10:00")


def test_when_nothing_can_be_checked_it_says_so_and_yes_again_is_safe(faulty_chat, faulty, backend):
    sms = at_summary(faulty_chat("sms"))
    before = bookings(backend, sms)
    faulty.fail("create_booking", OutcomeUnknown("read timed out"), after_call=True)
    faulty.fail("recent_bookings", BackendUnavailable, skip=1)  # the check after the create fails
    answer = sms.send("YES")
    assert answer.startswith(
        "I couldn't confirm your booking: our booking system didn't answer. "
        "Nothing is known to be booked and your details are kept. Send YES to try again"
    )
    assert "Booked" not in answer
    assert sms.session.state == State.BOOK_CONFIRM
    assert sms.session.draft is not None
    assert len(made_ids(backend, sms, before)) == 1  # it did happen, the bot just couldn't see it

    again = sms.send("YES")  # same key: the platform answers with the booking it already made
    made = made_ids(backend, sms, before)
    assert len(made) == 1
    assert again.startswith(f"Booked! #{made[0]} Standard clean")
    assert sms.send("YES").startswith("There's nothing to confirm right now.")
    assert len(made_ids(backend, sms, before)) == 1


def test_a_retried_delivery_gets_the_same_answer_and_no_second_booking(chat, backend):
    sms = at_summary(chat("sms"))
    before = bookings(backend, sms)
    first = sms.send("YES", delivery_id="SM-yes-1")
    again = sms.send("YES", delivery_id="SM-yes-1")
    assert first == again and first.startswith("Booked! #")
    assert len(made_ids(backend, sms, before)) == 1


def test_a_retried_delivery_of_an_unconfirmed_yes_then_a_new_yes(faulty_chat, faulty, backend):
    sms = at_summary(faulty_chat("sms"))
    before = bookings(backend, sms)
    faulty.fail("create_booking", OutcomeUnknown, after_call=True)
    faulty.fail("recent_bookings", BackendUnavailable, skip=1)
    first = sms.send("YES", delivery_id="SM-1")
    replay = sms.send("YES", delivery_id="SM-1")
    assert first == replay and "couldn't confirm" in first
    assert faulty.calls["create_booking"] == 1
    assert sms.send("YES", delivery_id="SM-2").startswith("Booked! #")
    assert len(made_ids(backend, sms, before)) == 1


def test_the_same_service_and_time_booked_before_is_not_taken_for_ours(
    faulty_chat, faulty, backend
):
    sms = at_summary(faulty_chat("sms"))
    assert sms.send("YES").startswith("Booked! #")
    before = bookings(backend, sms)
    # the same clean at the same time again (the summary warns), and this create fails before
    # reaching the platform
    at_summary(sms)
    assert sms.replies[0].text.startswith(DUPLICATE)
    faulty.fail("create_booking", BackendUnavailable("connection refused"))
    answer = sms.send("YES")
    assert answer.startswith("I couldn't confirm your booking")
    assert made_ids(backend, sms, before) == []


def test_quote_failing_keeps_the_draft_and_says_so(faulty_chat, faulty):
    sms = faulty_chat("sms")
    sms.login()
    sms.send("BOOK standard clean tomorrow 10am")
    faulty.fail("quote", BackendUnavailable, times=None)
    answer = sms.send("12 High St, London")
    assert "not answering" in answer and "kept" in answer
    assert sms.session.state == State.BOOK_WHERE
    draft = sms.session.draft
    assert draft is not None and draft["service"] == "standard-clean"
    assert sms.send("12 High St, London") == answer  # still down: same answer, nothing lost
    faulty.heal()
    assert sms.send("12 High St, London").startswith(SUMMARY)


def test_create_failing_with_nothing_created_keeps_the_draft(faulty_chat, faulty, backend):
    sms = at_summary(faulty_chat("sms"))
    before = bookings(backend, sms)
    faulty.fail("create_booking", BackendUnavailable("connection refused"), times=None)
    answer = sms.send("YES")
    assert "couldn't confirm" in answer and "Nothing is known to be booked" in answer
    assert "Booked!" not in answer
    assert answer.endswith("1 Book it\n2 Change something\n3 Don't book")
    assert sms.session.state == State.BOOK_CONFIRM
    key = sms.session.draft["attempt"]["key"]
    assert made_ids(backend, sms, before) == []
    sms.send("YES")
    assert sms.session.draft["attempt"]["key"] == key  # the retry is the same create
    faulty.heal()
    assert sms.send("YES").startswith("Booked! #")
    assert len(made_ids(backend, sms, before)) == 1


def test_backend_down_before_anything_was_sent_leaves_the_summary(faulty_chat, faulty, backend):
    tg = at_summary(faulty_chat("telegram"))
    before = bookings(backend, tg)
    faulty.fail("recent_bookings", BackendUnavailable)
    answer = tg.press("Book it")
    assert "not answering" in answer
    assert faulty.calls["create_booking"] == 0
    assert tg.session.state == State.BOOK_CONFIRM
    # the summary's button, still on screen above the apology, works
    assert tg.send(button="YES").startswith("Booked! #")
    assert len(made_ids(backend, tg, before)) == 1


def test_an_edited_draft_is_a_new_booking(chat, backend):
    sms = at_summary(chat("sms"))
    before = bookings(backend, sms)
    assert sms.send("YES").startswith("Booked! #")
    sms.send("BOOK standard clean tomorrow 10am at 12 High St, London")
    sms.send("EDIT when")
    assert sms.send("tomorrow 11am").startswith("Standard clean\nTue 24 Nov 11:00")
    answer = sms.send("YES")
    assert answer.startswith("Booked! #")
    assert len(made_ids(backend, sms, before)) == 2
    assert len({m for m in re.findall(r"#(\d+)", answer)}) == 1
