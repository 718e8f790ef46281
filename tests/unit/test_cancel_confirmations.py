"""The confirmation questions: what reaches the backend, and what leaves a booking untouched.

The built-in backend is wrapped so every cancel call is recorded: a refusal or an unclear answer
must call nothing, and the confirmed call must carry exactly what the customer agreed to.
"""

from __future__ import annotations

import pytest

from bot.backends.protocol import BookingStatus, Money
from bot.conversation.engine import BACKEND_DOWN
from bot.conversation.states import State
from bot.runtime import build_runtime
from tests.fakes.chat import Chat
from tests.fakes.fee_changing_backend import CancelCall, FeeChangingBackend
from tests.unit.test_cancel_flow import (
    CHANNELS,
    Demo,
    assert_list_agrees,
    cancel_ref,
    cancelled,
    changed,
    demo_of,
    on,
    pick,
    say,
    statuses,
)

FEE = Money(1500, "GBP")


@pytest.fixture
def wrapped(backend) -> FeeChangingBackend:
    return FeeChangingBackend(backend)


@pytest.fixture
def open_chat(any_redis, wrapped, settings, clock):
    """A factory: open_chat(channel) -> a logged-in Chat on the wrapped backend."""

    def make(channel: str) -> Chat:
        engine = build_runtime(
            settings, redis_client=any_redis, backend=wrapped, clock=clock
        ).engine
        chat = Chat(engine, channel=channel)
        chat.login()
        return chat

    return make


@pytest.fixture
def demo(backend, clock) -> Demo:
    return demo_of(backend, clock.now)


def ask_late(chat: Chat, demo: Demo) -> str:
    out = cancel_ref(chat, demo.late.id)
    assert chat.session.state == State.CANCEL_LATE
    return out


def ask_recurring(chat: Chat, demo: Demo) -> str:
    out = cancel_ref(chat, demo.series[1].id)
    assert chat.session.state == State.CANCEL_RECURRING
    return out


QUESTIONS = {"late": ask_late, "recurring": ask_recurring}


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("question", QUESTIONS)
def test_no_keeps_the_booking_and_calls_nothing_more(
    open_chat, wrapped, backend, demo, channel, question
):
    c = open_chat(channel)
    before = statuses(backend)
    QUESTIONS[question](c, demo)
    asked = len(wrapped.cancel_calls)

    out = say(c, "NO")

    booking = c.session  # the menu is back, nothing pending
    assert out.startswith("Booking #") and " is kept.\nWhat would you like to do?" in out
    assert booking.state == State.MENU and booking.data == {}
    assert len(wrapped.cancel_calls) == asked == 1
    assert statuses(backend) == before


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("question", QUESTIONS)
def test_keep_it_option_of_the_recurring_question(
    open_chat, wrapped, backend, demo, channel, question
):
    c = open_chat(channel)
    before = statuses(backend)
    QUESTIONS[question](c, demo)

    out = pick(c, "No, keep it" if question == "late" else "Keep it")

    assert " is kept." in out
    assert len(wrapped.cancel_calls) == 1
    assert statuses(backend) == before


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("question", QUESTIONS)
def test_menu_at_a_confirmation_leaves_the_booking(
    open_chat, wrapped, backend, demo, channel, question
):
    c = open_chat(channel)
    before = statuses(backend)
    QUESTIONS[question](c, demo)

    out = say(c, "MENU")

    assert out.startswith("What would you like to do?")
    assert c.session.state == State.MENU and c.session.data == {}
    assert len(wrapped.cancel_calls) == 1
    assert statuses(backend) == before
    assert " is cancelled" not in say(c, "YES")  # a late YES now means nothing
    assert statuses(backend) == before


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("question", QUESTIONS)
@pytest.mark.parametrize("unrelated", ["what does that mean", "maybe", "7", "#1"])
def test_unrelated_answer_asks_the_same_question_again(
    open_chat, wrapped, backend, demo, channel, question, unrelated
):
    c = open_chat(channel)
    before = statuses(backend)
    asked = QUESTIONS[question](c, demo)
    session = c.session

    out = say(c, unrelated)

    assert out == "Sorry, I didn't understand that.\n" + asked
    assert c.session.state == session.state and c.session.data == session.data
    assert len(wrapped.cancel_calls) == 1
    assert statuses(backend) == before


@pytest.mark.parametrize("channel", CHANNELS)
def test_yes_is_no_answer_to_the_series_question(open_chat, wrapped, backend, demo, channel):
    c = open_chat(channel)
    before = statuses(backend)
    asked = ask_recurring(c, demo)

    assert say(c, "YES") == "Sorry, I didn't understand that.\n" + asked
    assert len(wrapped.cancel_calls) == 1
    assert statuses(backend) == before


def test_late_fee_question_is_bound_to_the_booking_and_fee_in_its_buttons(open_chat, demo):
    c = open_chat("telegram")
    ask_late(c, demo)

    values = [o.value for r in c.replies for o in r.options]

    assert values == [f"YES #{demo.late.id} 1500", f"NO #{demo.late.id} 1500"]


def test_yes_confirms_exactly_the_fee_shown(open_chat, wrapped, demo):
    c = open_chat("sms")
    ask_late(c, demo)

    say(c, "yes")

    assert wrapped.cancel_calls == [
        CancelCall(demo.late.id, None, False, False, False),
        CancelCall(demo.late.id, FEE, True, False, False),
    ]


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize(
    ("choice", "future"), [("Cancel this one only", False), ("Cancel this and all future", True)]
)
def test_late_visit_of_a_series_asks_fee_then_series(
    backend, clock, channel, choice, future, any_redis, settings
):
    demo = demo_of(backend, clock.now)
    first = demo.series[0]
    clock.advance(days=2, hours=12)  # the first visit is now less than 24 hours ahead
    wrapped = FeeChangingBackend(backend)
    engine = build_runtime(settings, redis_client=any_redis, backend=wrapped, clock=clock).engine
    c = Chat(engine, channel=channel)
    c.login()
    before = statuses(backend)

    late = cancel_ref(c, first.id)
    assert f"A late cancellation fee of £15.00 applies to booking #{first.id}" in late
    series = pick(c, "Yes")
    assert f"Booking #{first.id} on {on(first)} is part of a weekly series." in series
    assert statuses(backend) == before  # agreeing to the fee alone cancelled nothing
    out = pick(c, choice)

    assert wrapped.cancel_calls == [
        CancelCall(first.id, None, False, False, False),
        CancelCall(first.id, FEE, True, False, False),
        CancelCall(first.id, FEE, True, True, future),
    ]
    assert "A £15.00 late fee applies." in out
    gone = demo.series if future else [first]
    assert changed(before, statuses(backend)) == cancelled(*gone)
    if future:
        assert f"{len(gone)} bookings are cancelled" in out
        assert "No visits of this series remain." in out
    else:
        assert f"Booking #{first.id} on {on(first)} is cancelled." in out
        assert f"Your next visit is {on(demo.series[1])}." in out
    assert_list_agrees(c, backend, demo.customer)


@pytest.mark.parametrize("channel", CHANNELS)
def test_no_at_the_series_question_after_agreeing_the_fee_keeps_it(
    backend, clock, channel, any_redis, settings
):
    demo = demo_of(backend, clock.now)
    clock.advance(days=2, hours=12)
    engine = build_runtime(settings, redis_client=any_redis, backend=backend, clock=clock).engine
    c = Chat(engine, channel=channel)
    c.login()
    before = statuses(backend)

    cancel_ref(c, demo.series[0].id)
    pick(c, "Yes")
    out = pick(c, "Keep it")

    assert f"Booking #{demo.series[0].id} is kept." in out
    assert statuses(backend) == before


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("question", QUESTIONS)
def test_retry_after_the_backend_was_down_at_the_confirmation(
    open_chat, wrapped, backend, demo, channel, question
):
    c = open_chat(channel)
    before = statuses(backend)
    asked = QUESTIONS[question](c, demo)
    answer = "Yes" if question == "late" else "Cancel this one only"
    wrapped.go_down_once()

    down = pick(c, answer)

    assert down == BACKEND_DOWN
    assert statuses(backend) == before
    assert c.session.state in (State.CANCEL_LATE, State.CANCEL_RECURRING)
    assert say(c, "what?") == "Sorry, I didn't understand that.\n" + asked

    out = pick(c, answer)

    target = demo.late if question == "late" else demo.series[1]
    assert f"Booking #{target.id} on {on(target)} is cancelled." in out
    assert changed(before, statuses(backend)) == cancelled(target)
    assert wrapped.cancel_calls[-1] == wrapped.cancel_calls[-2]  # the same call, once more


def test_a_booking_cancelled_elsewhere_while_asking_is_reported(open_chat, backend, demo):
    c = open_chat("sms")
    ask_late(c, demo)
    backend.cancel_booking(demo.customer, demo.late.id, confirm_fee=FEE)

    out = say(c, "YES")

    assert out.startswith(f"Booking #{demo.late.id} on {on(demo.late)} is already cancelled.")
    assert c.session.state == State.MENU
    assert statuses(backend)[demo.late.id] == BookingStatus.CANCELLED


def test_a_whole_sms_conversation_stays_short(open_chat, demo):
    c = open_chat("sms")
    for text in (
        "CANCEL BOOKING",
        "1",
        "what",
        "1",
        "CANCEL BOOKING",
        "2",
        "nope",
        "2",
        "CANCEL 1001",
        "CANCEL x",
    ):
        say(c, text)  # say() holds every answer to GSM-7 and two segments
    assert c.session.state == State.MENU
