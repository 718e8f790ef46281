"""The Procfile's gunicorn with BOOKING_BACKEND=launch27 against the local Launch27 server:
health, email login, the platform's bookings listed, a booking made with an extra, a late
cancel whose fee is shown and sent back, and a weekly booking cancelled with all future ones.

(The password here is all digits so the login step works whether the bot asks for a PIN or a
password; the full journey with a pricing parameter is tests/e2e/test_launch27_journey.py.)"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis

from tests.fakes.launch27_app import BotOnLaunch27, bot_on_launch27
from tests.fakes.launch27_server import Seeded, seed_customer
from tests.fakes.updates import TelegramUser

pytestmark = pytest.mark.e2e

DB = int(os.environ.get("REDIS_E2E_DB", "14"))
PASSWORD = "48151623"
BOOK = "BOOK standard clean in 3 days at 10am at 5 Elm Road, Kingston upon Thames KT2 5AA"


@pytest.fixture(scope="module", params=["customer", "legacy"])
def bot(request, real_redis_server: redis.Redis, tmp_path_factory) -> Iterator[BotOnLaunch27]:
    kwargs = real_redis_server.connection_pool.connection_kwargs
    redis_url = f"redis://{kwargs.get('host', '127.0.0.1')}:{kwargs.get('port', 6379)}/{DB}"
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    try:
        with bot_on_launch27(request.param, redis_url, tmp_path_factory.mktemp("l27")) as served:
            yield served
    finally:
        client.flushdb()
        client.close()


def test_health_names_the_backend_usable(bot: BotOnLaunch27) -> None:
    response = bot.http.get(f"{bot.url}/healthz")
    assert (response.status_code, response.json()) == (200, {"redis": "ok", "backend": "ok"})
    assert any(r["path"] == "/latest/policy/booking" for r in bot.fake.platform.requests)


def made_with_extra(bot: BotOnLaunch27, email: str) -> list[dict]:
    account = bot.fake.platform.accounts[email]
    made = [b for b in bot.fake.platform.bookings_of(account) if b.address.startswith("5 Elm")]
    return [line for booking in made for line in booking.services]


def series_over(bot: BotOnLaunch27, seeded: Seeded) -> bool:
    bookings = bot.fake.platform.bookings
    first = bookings[seeded.recurring]
    return not first.active and not [
        b
        for b in bookings.values()
        if b.user_id == first.user_id and b.frequency_id == first.frequency_id and b.active
    ]


def fee_sent_back(bot: BotOnLaunch27) -> bool:
    sent = bot.fake.platform.cancel_bodies[-1]
    if bot.api == "customer":
        return sent == {"confirmed_late": True, "confirmed_fee": 10.0}
    return sent["cancel_late"] is True


def buttons_of(reply: dict) -> dict[str, str]:
    return {b["text"]: b["callback_data"] for row in reply["reply_markup"]["inline_keyboard"]
            for b in row}  # fmt: skip


def test_sms(bot: BotOnLaunch27) -> None:
    email = f"sms.{bot.api}@example.com"
    seeded = seed_customer(bot.fake.platform, email, PASSWORD, "Robin", "Sms")
    phone = "+447700900555" if bot.api == "customer" else "+447700900556"
    assert "email address" in bot.sms(phone, "hi")
    bot.sms(phone, email)
    assert "Hi Robin, you're logged in." in bot.sms(phone, PASSWORD)
    listing = bot.sms(phone, "BOOKINGS")
    assert f"#{seeded.late}" in listing and "Standard clean" in listing

    assert "extras" in bot.sms(phone, BOOK)
    assert "How often" in bot.sms(phone, "Oven clean")
    bot.sms(phone, "One Time")
    assert "Total £" in bot.sms(phone, "SKIP")
    assert "Booked!" in bot.sms(phone, "YES")
    assert made_with_extra(bot, email) == [{"id": 2, "extras": {1: 1}, "pricing_parameters": {}}]

    question = bot.sms(phone, f"CANCEL {seeded.late}")
    assert "late cancellation fee" in question
    assert ("£10.00" in question) == (bot.api == "customer"), "legacy names no fee"
    assert "is cancelled" in bot.sms(phone, "YES")
    assert fee_sent_back(bot)

    question = bot.sms(phone, f"CANCEL {seeded.recurring}")
    assert "weekly series" in question
    [future] = [ln.split()[0] for ln in question.splitlines() if "all future" in ln]
    assert "No visits of this series remain" in bot.sms(phone, future)
    assert series_over(bot, seeded)


def test_telegram(bot: BotOnLaunch27) -> None:
    email = f"telegram.{bot.api}@example.com"
    seeded = seed_customer(bot.fake.platform, email, PASSWORD, "Kim", "Telegram")
    user = TelegramUser(user_id=9300 if bot.api == "customer" else 9400, start=930)
    bot.bot_api.reset()
    assert "email address" in bot.telegram(user.text("/start"))["text"]
    bot.telegram(user.text(email))
    assert "you're logged in" in bot.telegram(user.text(PASSWORD))["text"]
    deleted = bot.bot_api.methods("deleteMessage")
    assert [d.params["message_id"] for d in deleted] == [user.last_message_id]
    assert f"#{seeded.late}" in bot.telegram(user.text("/bookings"))["text"]

    bot.telegram(user.text(BOOK))
    bot.telegram(user.text("Oven clean"))
    bot.telegram(user.text("One Time"))
    assert "Total £" in bot.telegram(user.text("SKIP"))["text"]
    assert "Booked!" in bot.telegram(user.text("YES"))["text"]
    assert made_with_extra(bot, email) == [{"id": 2, "extras": {1: 1}, "pricing_parameters": {}}]

    question = bot.telegram(user.text(f"CANCEL {seeded.late}"))
    buttons = buttons_of(question)
    assert "is cancelled" in bot.telegram(user.press(buttons["Yes, cancel it"]))["text"]
    assert fee_sent_back(bot)

    question = bot.telegram(user.text(f"CANCEL {seeded.recurring}"))
    buttons = buttons_of(question)
    done = bot.telegram(user.press(buttons["Cancel this and all future"]))
    assert "No visits of this series remain" in done["text"]
    assert series_over(bot, seeded)
