"""Fixes found by trying the bot as a customer: what each answer now says."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.backends.protocol import BookingWindow, ConfirmationRequired, Customer
from bot.channels.sms import render_text
from bot.conversation.book.questions import shorten
from bot.conversation.formatting import booking_details
from bot.conversation.profile import profile_of
from bot.messages import Reply
from bot.runtime import build_runtime
from bot.understanding import when
from tests.fakes.chat import Chat

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")


def test_a_weekly_booking_says_it_repeats_and_when_next(chat) -> None:
    sms = chat("sms")
    sms.login()
    sms.send("standard clean tomorrow 10am at 12 High St weekly")
    answer = sms.send("YES")
    assert "It repeats weekly: the next one is Tue 1 Dec 10:00." in answer


def test_what_was_understood_is_echoed_before_the_next_question(chat) -> None:
    sms = chat("sms")
    sms.login()
    answer = sms.send("deep clean tomorrow 9am")
    assert answer.startswith("Got it: Deep clean, Tue 24 Nov 09:00.\nWhat's the address")


def test_cab_to_heathrow_is_the_airport_transfer(chat) -> None:
    tg = chat("telegram")
    tg.login()
    answer = tg.send("cab to heathrow tomorrow 6am")
    assert "Airport transfer" in answer


def test_dates_follow_the_region() -> None:
    window = BookingWindow()
    uk = when.read("12/1 10am", NOW, LONDON, window, when.date_order("GB"))
    us = when.read("12/1 10am", NOW, LONDON, window, when.date_order("US"))
    assert uk.moment is not None and uk.moment.month == 1 and uk.moment.day == 12
    assert us.moment is not None and us.moment.month == 12 and us.moment.day == 1


def test_long_text_is_cut_at_a_word_never_mid_word() -> None:
    cut = shorten("Please ring the bell twice and wait, the dog is friendly", 30)
    assert cut == "Please ring the bell twice..."
    assert len(cut) <= 30


def test_whatsapp_keeps_every_character_and_sms_folds_to_gsm7() -> None:
    reply = [Reply("Łódź — Đakovo “quoted”")]
    assert render_text(reply, profile_of("whatsapp")) == "Łódź — Đakovo “quoted”"
    assert "?" in render_text(reply)  # SMS: GSM-7 only


def test_booking_details_show_the_platforms_details(backend, settings) -> None:
    customer = backend.login("447700900123", "1234")
    booking = backend.recent_bookings(customer)[0]
    detailed = type(booking)(**{**booking.__dict__, "details": (("Bedrooms", "2"),)})
    assert booking_details(detailed, settings.tz).endswith("\nBedrooms: 2")


class ReasonBackend:
    """A platform that asks why before it cancels (Launch27's cancellation_reason_on)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.reasons: list[str | None] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def cancel_booking(self, customer: Customer, booking_id: str, **kwargs: Any):
        reason = kwargs.pop("reason", None)
        self.reasons.append(reason)
        if not reason:
            raise ConfirmationRequired("reason", self.inner.booking(customer, booking_id))
        return self.inner.cancel_booking(customer, booking_id, **kwargs)


def test_a_business_that_asks_why_gets_the_customers_words(
    any_redis, backend, settings, clock
) -> None:
    wrapped = ReasonBackend(backend)
    engine = build_runtime(settings, redis_client=any_redis, backend=wrapped, clock=clock).engine
    sms = Chat(engine, channel="sms")
    sms.login()
    sms.send("CANCEL 1007")
    assert sms.send("YES").startswith("Please tell us in a few words why you're cancelling #1007.")
    answer = sms.send("Flight moved to Sunday")
    assert "Booking #1007 on Sat 28 Nov 07:30 is cancelled." in answer
    assert wrapped.reasons == [None, "Flight moved to Sunday"]


def test_an_address_answer_with_how_often_sets_both(chat) -> None:
    sms = chat("sms")
    sms.login()
    sms.send("BOOK standard clean tomorrow 10am")
    answer = sms.send("12 High St weekly")
    assert answer.startswith("Standard clean\nTue 24 Nov 10:00, weekly\n12 High St\n")
