"""CANCEL against the built-in backend's demo data, on both stores and both channel renderings.

Every path checks what the backend says afterwards: exactly the bookings expected are cancelled,
nothing else changed (either demo customer), and the BOOKINGS list shows the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.backends.protocol import (
    Booking,
    BookingBackend,
    BookingRequest,
    BookingStatus,
    Customer,
)
from bot.channels.sms import is_gsm7, segments
from bot.config import Settings
from bot.conversation.formatting import when
from bot.conversation.listing import upcoming
from bot.conversation.states import State
from tests.fakes.chat import DEMO_PHONE, DEMO_PIN, OTHER_PHONE, OTHER_PIN, Chat

CHANNELS = ["sms", "telegram"]
LINE = re.compile(r"^#(\d+) ")


@dataclass(frozen=True)
class Demo:
    """The demo customer's bookings by role (ids are the backend's, not assumed)."""

    customer: Customer
    past: Booking
    late: Booking
    series: list[Booking]
    far: Booking


def demo_of(backend: BookingBackend, clock_now) -> Demo:
    customer = backend.login(DEMO_PHONE, DEMO_PIN)
    found = sorted(backend.recent_bookings(customer), key=lambda b: b.start)
    past = [b for b in found if b.start < clock_now]
    series = [b for b in found if b.recurring]
    one_offs = [b for b in found if not b.recurring and b.start > clock_now]
    return Demo(customer, past[0], one_offs[0], series, one_offs[-1])


@pytest.fixture
def demo(backend, clock) -> Demo:
    return demo_of(backend, clock.now)


def statuses(backend: BookingBackend) -> dict[str, BookingStatus]:
    """Every demo booking's status, both customers, as the backend reports it."""
    result = {}
    for phone, pin in ((DEMO_PHONE, DEMO_PIN), (OTHER_PHONE, OTHER_PIN)):
        customer = backend.login(phone, pin)
        result |= {b.id: b.status for b in backend.recent_bookings(customer)}
    return result


def changed(before: dict[str, BookingStatus], after: dict[str, BookingStatus]) -> dict[str, str]:
    return {k: after[k] for k in after if before.get(k) != after[k]}


def cancelled(*bookings: Booking) -> dict[str, BookingStatus]:
    return {b.id: BookingStatus.CANCELLED for b in bookings}


def listed_ids(chat: Chat) -> list[str]:
    """The BOOKINGS list (upcoming) as the customer sees it, every page: booking ids in order."""
    seen: list[str] = []
    say(chat, "BOOKINGS")
    for _ in range(20):
        seen += [m.group(1) for label in chat.options if (m := LINE.match(label))]
        if "More" not in chat.options:
            break
        say(chat, "MORE")
    say(chat, "MENU")
    return seen


def assert_list_agrees(chat: Chat, backend: BookingBackend, customer: Customer) -> None:
    """The list shows what is still ahead, soonest first, a series as its next booking."""
    found = backend.recent_bookings(customer)
    expected = [b.id for b in upcoming(found, chat.engine.clock())]
    assert listed_ids(chat) == expected


def say(chat: Chat, text: str) -> str:
    """Send, and hold every SMS answer to the budget: GSM-7 only, at most two segments.

    `CANCEL <ref>` asks "Cancel #...?" first (tested in test_cancel_asks_first); these tests say
    YES to it and look at what comes after."""
    out = chat.send(text)
    check_sms(chat, out)
    if text.upper().startswith("CANCEL ") and chat.session.state == State.CANCEL_CONFIRM:
        assert out.startswith("Cancel #"), out
        out = chat.send("YES")
        check_sms(chat, out)
    return out


def cancel_ref(chat: Chat, ref: object) -> str:
    """`CANCEL <ref>`, and YES to "Cancel #... ?" when it is asked (it is, for a real booking)."""
    return say(chat, f"CANCEL {ref}")


def pick(chat: Chat, label: str) -> str:
    """Choose an option the way the channel offers it: a button, or its number typed."""
    if chat.channel == "telegram":
        return chat.press(label)
    labels = chat.options
    number = next(n for n, option in enumerate(labels, 1) if option.startswith(label))
    return say(chat, str(number))


def check_sms(chat: Chat, out: str) -> None:
    if chat.channel != "sms":
        return
    for reply in chat.replies:
        assert is_gsm7(reply.text), reply.text
        assert all(is_gsm7(o.label) for o in reply.options)
    assert segments(out) <= 2, out


def logged_in(chat_factory, channel: str) -> Chat:
    chat = chat_factory(channel)
    chat.login()
    assert chat.session.state == State.MENU
    return chat


def on(booking: Booking) -> str:
    return when(booking.start, Settings().tz)


# --- the paths ----------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
def test_one_off_more_than_a_day_ahead_is_cancelled_without_questions(chat, backend, demo, channel):
    c = logged_in(chat, channel)
    before = statuses(backend)

    listing = say(c, "CANCEL BOOKING")
    assert "Which booking to cancel?" in listing
    assert c.session.state == State.CANCEL_CHOOSE
    cancellable = [b.id for b in [demo.late, demo.series[0], demo.far]]  # a series is one line
    assert c.session.listed == cancellable, "soonest first"
    out = pick(c, f"#{demo.far.id} ")

    assert f"Booking #{demo.far.id} on {on(demo.far)} is cancelled." in out
    assert "fee" not in out
    assert c.session.state == State.MENU
    assert c.session.data == {}
    assert "Cancel a booking" in c.options
    assert changed(before, statuses(backend)) == cancelled(demo.far)
    assert_list_agrees(c, backend, demo.customer)


@pytest.mark.parametrize("channel", CHANNELS)
def test_late_booking_asks_about_the_fee_and_yes_cancels_it(chat, backend, demo, channel):
    c = logged_in(chat, channel)
    before = statuses(backend)

    question = cancel_ref(c, demo.late.id)
    assert (
        f"A late cancellation fee of £15.00 applies to booking #{demo.late.id} on "
        f"{on(demo.late)}. Cancel anyway?"
    ) in question
    assert c.session.state == State.CANCEL_LATE
    pending = c.session.data["pending"]
    assert (pending["booking"], pending["fee_minor"], pending["currency"]) == (
        demo.late.id,
        1500,
        "GBP",
    )
    assert statuses(backend) == before  # asking changed nothing

    out = pick(c, "Yes")
    assert f"Booking #{demo.late.id} on {on(demo.late)} is cancelled." in out
    assert "A £15.00 late fee applies." in out
    assert c.session.state == State.MENU
    assert changed(before, statuses(backend)) == cancelled(demo.late)
    assert_list_agrees(c, backend, demo.customer)


@pytest.mark.parametrize("channel", CHANNELS)
def test_late_booking_no_keeps_it(chat, backend, demo, channel):
    c = logged_in(chat, channel)
    before = statuses(backend)

    say(c, f"CANCEL #{demo.late.id}")
    out = pick(c, "No")

    assert f"Booking #{demo.late.id} is kept." in out
    assert "cancelled" not in out
    assert c.session.state == State.MENU
    assert c.session.data == {}
    assert statuses(backend) == before
    assert_list_agrees(c, backend, demo.customer)


@pytest.mark.parametrize("channel", CHANNELS)
def test_one_visit_of_a_weekly_series(chat, backend, demo, channel):
    c = logged_in(chat, channel)
    before = statuses(backend)
    first, second = demo.series[0], demo.series[1]

    question = say(c, f"CANCEL #{second.id}")
    assert f"Booking #{second.id} on {on(second)} is part of a weekly series." in question
    assert c.session.state == State.CANCEL_RECURRING
    assert [o for o in c.options] == [
        "Cancel this one only",
        "Cancel this and all future",
        "Keep it",
    ]
    out = pick(c, "Cancel this one only")

    assert f"Booking #{second.id} on {on(second)} is cancelled." in out
    assert f"Your next visit is {on(first)}." in out
    assert "fee" not in out
    assert changed(before, statuses(backend)) == cancelled(second)
    assert_list_agrees(c, backend, demo.customer)


@pytest.mark.parametrize("channel", CHANNELS)
def test_series_from_the_second_visit_onwards(chat, backend, demo, channel):
    c = logged_in(chat, channel)
    before = statuses(backend)
    first, second, last = demo.series[0], demo.series[1], demo.series[-1]

    say(c, f"CANCEL #{second.id}")
    out = pick(c, "Cancel this and all future")

    later = demo.series[1:]
    assert (
        f"{len(later)} bookings are cancelled: #{second.id} on {on(second)} "
        f"to #{last.id} on {on(last)}."
    ) in out
    assert f"Your next visit is {on(first)}." in out
    assert changed(before, statuses(backend)) == cancelled(*later)
    assert statuses(backend)[first.id] == BookingStatus.BOOKED
    assert_list_agrees(c, backend, demo.customer)


@pytest.mark.parametrize("channel", CHANNELS)
def test_whole_series_from_the_first_visit_leaves_none(chat, backend, demo, channel):
    c = logged_in(chat, channel)
    before = statuses(backend)

    cancel_ref(c, demo.series[0].id)
    out = pick(c, "Cancel this and all future")

    assert f"{len(demo.series)} bookings are cancelled" in out
    assert "No visits of this series remain." in out
    assert changed(before, statuses(backend)) == cancelled(*demo.series)


@pytest.mark.parametrize("channel", CHANNELS)
def test_past_booking_is_refused_in_plain_words(chat, backend, demo, channel):
    c = logged_in(chat, channel)
    before = statuses(backend)

    out = say(c, f"CANCEL #{demo.past.id}")

    assert (
        f"Booking #{demo.past.id} on {on(demo.past)} has already taken place, "
        "so it can't be cancelled."
    ) in out
    assert c.session.state == State.MENU
    assert statuses(backend) == before


@pytest.mark.parametrize("channel", CHANNELS)
def test_already_cancelled_booking_is_said_so(chat, backend, demo, channel):
    c = logged_in(chat, channel)
    cancel_ref(c, demo.far.id)
    before = statuses(backend)

    out = cancel_ref(c, demo.far.id)

    assert f"Booking #{demo.far.id} on {on(demo.far)} is already cancelled." in out
    assert statuses(backend) == before


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("ref", ["abc", "99999", "#99999"])
def test_unknown_booking_from_the_menu(chat, backend, demo, channel, ref):
    c = logged_in(chat, channel)
    before, session = statuses(backend), c.session

    out = cancel_ref(c, ref)

    assert out.startswith(f"I can't find booking {ref.lstrip('#')}.")
    assert "Cancel a booking" in c.options  # the menu
    assert c.session == session
    assert statuses(backend) == before


@pytest.mark.parametrize("channel", CHANNELS)
def test_unknown_booking_from_the_list_shows_the_list_again(chat, backend, demo, channel):
    c = logged_in(chat, channel)
    before = statuses(backend)
    say(c, "CANCEL BOOKING")
    session = c.session

    out = say(c, "CANCEL abc")

    assert out.startswith("I can't find booking abc.\nWhich booking to cancel?")
    assert any(label.startswith(f"#{demo.far.id} ") for label in c.options)
    assert c.session == session
    assert statuses(backend) == before


def test_a_long_unknown_reference_is_quoted_short(chat, backend, demo):
    c = logged_in(chat, "sms")
    say(c, "CANCEL BOOKING")

    out = say(c, "CANCEL " + "x" * 200)

    assert out.startswith("I can't find booking xxxxxxxxxxxx...\n")


@pytest.mark.parametrize("channel", CHANNELS)
def test_cancel_n_means_item_n_of_the_list_shown_last(chat, backend, demo, channel):
    c = logged_in(chat, channel)
    before = statuses(backend)
    say(c, "BOOKINGS")
    second = c.session.listed[1]
    booking = backend.booking(demo.customer, second)
    assert booking.cancellable_at(demo.late.start)  # the demo's newest bookings are upcoming

    out = say(c, "CANCEL 2")

    assert f"#{second}" in out
    if booking.recurring:
        assert c.session.state == State.CANCEL_RECURRING
        out = pick(c, "Cancel this one only")
    assert f"Booking #{second} on {on(booking)} is cancelled." in out
    assert changed(before, statuses(backend)) == cancelled(booking)


def test_cancel_it_button_of_the_booking_details(chat, backend, demo):
    c = logged_in(chat, "telegram")
    before = statuses(backend)
    say(c, "BOOKINGS")
    c.press(f"#{demo.far.id} ")

    assert c.press("Cancel it").startswith(f"Cancel #{demo.far.id} ")
    assert statuses(backend) == before, "nothing is cancelled before the yes"
    out = c.press("Yes, cancel it")

    assert f"Booking #{demo.far.id} on {on(demo.far)} is cancelled." in out
    assert changed(before, statuses(backend)) == cancelled(demo.far)


@pytest.mark.parametrize("channel", CHANNELS)
def test_choosing_by_typed_id_or_number(chat, backend, demo, channel):
    c = logged_in(chat, channel)
    say(c, "CANCEL BOOKING")
    assert "#" in say(c, f"#{demo.late.id}")
    assert c.session.state == State.CANCEL_LATE
    say(c, "MENU")

    say(c, "/cancel")
    number = c.session.listed.index(demo.far.id) + 1
    out = say(c, str(number))

    assert f"Booking #{demo.far.id} on {on(demo.far)} is cancelled." in out


@pytest.mark.parametrize("channel", CHANNELS)
def test_nonsense_at_the_list_asks_again(chat, backend, demo, channel):
    c = logged_in(chat, channel)
    before = statuses(backend)
    say(c, "CANCEL BOOKING")
    session = c.session

    out = say(c, "the blue one")

    assert out.startswith("Sorry, I didn't understand that.\nWhich booking to cancel?")
    assert c.session == session
    assert statuses(backend) == before


@pytest.mark.parametrize("channel", CHANNELS)
def test_nothing_left_to_cancel(chat, backend, demo, clock, channel):
    clock.advance(days=60)  # every demo booking is in the past now
    c = logged_in(chat, channel)

    out = say(c, "CANCEL BOOKING")

    assert out.startswith("You have no upcoming bookings to cancel.\nWhat would you like to do?")
    assert c.session.state == State.MENU


def test_sms_list_of_every_demo_booking_fits_two_segments_even_when_asked_again(
    chat, backend, demo
):
    c = logged_in(chat, "sms")
    out = say(c, "CANCEL BOOKING")
    assert len(c.session.listed) == 3, "the late one, the series as one line, the far one"

    for unusable in ("Sorry, I can only read text messages and not this one", "CANCEL 99999"):
        again = say(c, unusable)
        assert "Which booking to cancel?" in again
    assert segments(out) <= 2


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_long_list_offers_the_soonest_bookings(chat, backend, demo, clock, channel):
    start = (clock.now + timedelta(days=4)).replace(hour=12)
    request = BookingRequest("deep-clean", start, "weekly", address="12 High Street")
    backend.create_booking(demo.customer, request, idempotency_key="more-visits")
    for n in range(6):
        request = BookingRequest(
            "city-ride",
            start + timedelta(days=n, hours=2),
            "one-off",
            pickup="1 Wood St",
            dropoff="Surbiton Station",
        )
        backend.create_booking(demo.customer, request, idempotency_key=f"ride-{n}")
    ahead = upcoming(backend.recent_bookings(demo.customer), clock.now)
    c = logged_in(chat, channel)

    out = say(c, "CANCEL BOOKING")

    count = len(c.session.listed)
    assert out.startswith(f"Which booking to cancel? (1-{count} of {len(ahead)})")
    assert c.session.listed == [b.id for b in ahead[:count]]
    assert count == (8 if channel == "telegram" else 5)
    assert "More" in c.options
    again = say(c, "CANCEL 99999")
    assert "Which booking to cancel?" in again
