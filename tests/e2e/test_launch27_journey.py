"""A customer's whole journey on Launch27, through the Procfile's server with
BOOKING_BACKEND=launch27 against the local Launch27 server, for both APIs and both channels:
log in with email and password → list → book a service with a pricing parameter and an extra →
cancel a late booking with the fee shown (and sent back) → cancel a weekly booking and all
future ones. The platform's own records say what happened."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from tests.fakes.launch27_app import BotOnLaunch27 as Journey
from tests.fakes.launch27_app import bot_on_launch27
from tests.fakes.launch27_server import Seeded, seed_customer
from tests.fakes.updates import TelegramUser

pytestmark = pytest.mark.e2e

DB = int(os.environ.get("REDIS_E2E_DB", "14"))


@pytest.fixture(scope="module", params=["customer", "legacy"])
def journey(request, real_redis_server: redis.Redis, tmp_path_factory) -> Iterator[Journey]:
    kwargs = real_redis_server.connection_pool.connection_kwargs
    redis_url = f"redis://{kwargs.get('host', '127.0.0.1')}:{kwargs.get('port', 6379)}/{DB}"
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    try:
        with bot_on_launch27(request.param, redis_url, tmp_path_factory.mktemp("l27")) as bot:
            yield bot
    finally:
        client.flushdb()
        client.close()


def customer_of(journey: Journey, name: str) -> tuple[str, str, Seeded]:
    email, password = f"{name}.{journey.api}@example.com", f"pass-{name}-{journey.api}"
    seeded = seed_customer(journey.fake.platform, email, password, name.title(), "Tester")
    return email, password, seeded


# --- driving a conversation whose exact questions may vary -----------------------------------------

BOOKING_ANSWERS = (  # the first key found in a question decides the answer
    ("how many", "1"),
    ("total", "YES"),
    ("bedroom", "3"),
    ("bathroom", "1"),
    ("extra", "Oven clean"),
    ("how often", "One Time"),
    ("note", "SKIP"),
)


def answer_for(text: str, asked: set[str]) -> str | None:
    """The answer to a booking question; at the summary, EXTRAS once (the summary offers extras
    instead of asking), then YES."""
    lowered = text.lower()
    if "add extras" in lowered and "extras" not in asked:
        asked.add("extras")
        return "EXTRAS"
    return next((answer for key, answer in BOOKING_ANSWERS if key in lowered), None)


def sms_option(text: str, label: str) -> str:
    """The number of the option whose line holds `label` (SMS lists options as "2 label")."""
    for line in text.splitlines():
        words = line.strip().split(maxsplit=1)
        if len(words) == 2 and label.lower() in words[1].lower():
            return words[0].strip(".)")
    raise AssertionError(f"no option {label!r} in {text!r}")


def with_buttons(reply: dict[str, Any]) -> str:
    """A Telegram message's text and its buttons' labels, as an SMS shows them in one text."""
    rows = reply.get("reply_markup", {}).get("inline_keyboard", [])
    return "\n".join([reply["text"], *(b["text"] for row in rows for b in row)])


def telegram_button(reply: dict[str, Any], label: str) -> str:
    buttons = [b for row in reply.get("reply_markup", {}).get("inline_keyboard", []) for b in row]
    for button in buttons:
        if label.lower() in button["text"].lower():
            return button["callback_data"]
    raise AssertionError(f"no button {label!r} in {reply!r}")


def assert_booked_with_parameter_and_extra(journey: Journey, email: str) -> None:
    platform = journey.fake.platform
    account = platform.accounts[email]
    [made] = [b for b in platform.bookings_of(account) if b.address.startswith("5 Elm Road")]
    assert made.services == [{"id": 2, "extras": {1: 1}, "pricing_parameters": {1: 3, 4: 1}}]
    assert made.active


def assert_late_cancel_sent_back(journey: Journey, seeded: Seeded) -> None:
    platform = journey.fake.platform
    assert not platform.bookings[seeded.late].active
    sent = platform.cancel_bodies[-1]
    if journey.api == "customer":
        assert sent["confirmed_late"] is True and sent["confirmed_fee"] == 10.0
    else:
        assert sent["cancel_late"] is True


def assert_series_ended(journey: Journey, seeded: Seeded) -> None:
    platform = journey.fake.platform
    recurring = platform.bookings[seeded.recurring]
    assert not recurring.active
    later = [
        b
        for b in platform.bookings.values()
        if b.user_id == recurring.user_id
        and b.frequency_id == recurring.frequency_id
        and b.active
        and b.start > recurring.start
    ]
    assert later == []


BOOK_TEXT = "BOOK standard clean in 3 days at 10am at 5 Elm Road, Kingston upon Thames KT2 5AA"


def test_sms_journey(journey: Journey) -> None:
    email, password, seeded = customer_of(journey, "sms")
    phone = "+447700900555" if journey.api == "customer" else "+447700900556"
    assert "email" in journey.sms(phone, "hi").lower()
    assert "password" in journey.sms(phone, email).lower()
    assert "you're logged in" in journey.sms(phone, password)

    listing = journey.sms(phone, "BOOKINGS")
    assert f"#{seeded.late}" in listing or f"#{seeded.recurring}" in listing

    reply = journey.sms(phone, BOOK_TEXT)
    asked: set[str] = set()
    for _ in range(10):
        if "booked" in reply.lower() and "#" in reply:
            break
        answer = answer_for(reply, asked)
        assert answer is not None, f"unexpected question while booking: {reply!r}"
        reply = journey.sms(phone, answer)
    assert_booked_with_parameter_and_extra(journey, email)

    asked_first = journey.sms(phone, f"CANCEL {seeded.late}")
    assert "yes, cancel it" in asked_first.lower()  # a cancel by reference asks first
    question = journey.sms(phone, "YES")
    assert "late cancellation fee" in question.lower()
    if journey.api == "customer":
        assert "£10.00" in question
    assert "is cancelled" in journey.sms(phone, "YES")
    assert_late_cancel_sent_back(journey, seeded)

    asked_first = journey.sms(phone, f"CANCEL {seeded.recurring}")
    question = journey.sms(phone, "YES") if "yes, cancel it" in asked_first.lower() else asked_first
    assert "weekly series" in question.lower()
    done = journey.sms(phone, sms_option(question, "all future"))
    assert "cancelled" in done.lower()
    assert_series_ended(journey, seeded)


def test_telegram_journey(journey: Journey) -> None:
    email, password, seeded = customer_of(journey, "telegram")
    user = TelegramUser(user_id=9300 if journey.api == "customer" else 9400, start=930)
    journey.bot_api.reset()
    assert "email" in journey.telegram(user.text("/start"))["text"].lower()
    assert "password" in journey.telegram(user.text(email))["text"].lower()
    assert "you're logged in" in journey.telegram(user.text(password))["text"]
    deleted = journey.bot_api.methods("deleteMessage")
    assert [d.params["message_id"] for d in deleted] == [user.last_message_id], "password gone"

    listing = journey.telegram(user.text("/bookings"))
    assert listing["text"].startswith("Your bookings")

    reply = journey.telegram(user.text(BOOK_TEXT))
    asked: set[str] = set()
    for _ in range(10):
        if "booked" in reply["text"].lower() and "#" in reply["text"]:
            break
        answer = answer_for(with_buttons(reply), asked)
        assert answer is not None, f"unexpected question while booking: {reply['text']!r}"
        reply = journey.telegram(user.text(answer))
    assert_booked_with_parameter_and_extra(journey, email)

    asked_first = journey.telegram(user.text(f"CANCEL {seeded.late}"))
    question = journey.telegram(user.press(telegram_button(asked_first, "Yes")))
    assert "late cancellation fee" in question["text"].lower()
    if journey.api == "customer":
        assert "£10.00" in question["text"]
    done = journey.telegram(user.press(telegram_button(question, "Yes")))
    assert "is cancelled" in done["text"]
    assert_late_cancel_sent_back(journey, seeded)

    question = journey.telegram(user.text(f"CANCEL {seeded.recurring}"))
    if "yes, cancel it" in with_buttons(question).lower():
        question = journey.telegram(user.press(telegram_button(question, "Yes")))
    assert "weekly series" in question["text"].lower()
    done = journey.telegram(user.press(telegram_button(question, "all future")))
    assert "cancelled" in done["text"].lower()
    assert_series_ended(journey, seeded)
