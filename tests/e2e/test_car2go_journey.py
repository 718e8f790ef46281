"""A customer's whole journey on car2go, through the Procfile's server with BOOKING_BACKEND=car2go
against the local car2go, on Telegram and SMS: the link → the code car2go shows typed into the
chat (and, separately, the customer coming back through the callback page) → "You're connected"
→ the list with each car → a car reserved near a typed street → cancelled with car2go's fee →
access revoked at car2go → asked to connect again with a fresh link. car2go's own records, the
Bot API and Twilio's REST API say what happened."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis

from tests.fakes.car2go_app import BotOnCar2go, bot_on_car2go
from tests.fakes.twilio import OUR_NUMBER
from tests.fakes.updates import TelegramUser

pytestmark = pytest.mark.e2e

DB = int(os.environ.get("REDIS_CAR2GO_E2E_DB", "13"))
"""A database of its own, never flushed: each run uses chats of its own."""
LINK = re.compile(r"(https?://\S+/api/authorize\?oauth_token=[\w-]+)")
CARS = {
    "telegram": (
        "WME4513001K154451",
        "UL-C5713",
        "Blaubeurer Strasse 128, 89077 Ulm",
        48.4008,
        9.9596,
    ),
    "sms": ("WME4513001K154655", "UL-C5887", "Sudetenweg 7, 89075 Ulm", 48.4362, 10.029),
}


@pytest.fixture(scope="module")
def journey(real_redis_server: redis.Redis, tmp_path_factory) -> Iterator[BotOnCar2go]:
    kwargs = real_redis_server.connection_pool.connection_kwargs
    redis_url = f"redis://{kwargs.get('host', '127.0.0.1')}:{kwargs.get('port', 6379)}/{DB}"
    with bot_on_car2go(redis_url, tmp_path_factory.mktemp("c2g")) as bot:
        bot.car2go.new_booking_cancel_fee = "4.00"
        for vin, plate, address, lat, lon in CARS.values():
            bot.car2go.add_car(vin, plate, address, lat, lon, fuel=81)
        yield bot


def customer(journey: BotOnCar2go) -> str:
    """A car2go user of its own, with a booking car2go has no car for yet."""
    user = f"u{secrets.token_hex(4)}"
    journey.car2go.add_user(user, [(int(secrets.randbelow(10**6)), "Max Mustermann")])
    journey.car2go.add_booking(user, datetime.now(UTC) - timedelta(minutes=3), "Karlstrasse 1")
    return user


def sms_customer(journey: BotOnCar2go) -> str:
    """A number of the reserved drama range: its conversation starts over (an earlier run may
    have used it; the database is kept)."""
    phone = f"+447700900{secrets.randbelow(1000):03d}"
    journey.sms(phone, "LOGOUT")
    return phone


def shown(reply: dict) -> str:
    """A Telegram message's text and its buttons' labels (long labels are listed in the text)."""
    rows = reply.get("reply_markup", {}).get("inline_keyboard", [])
    return "\n".join([reply["text"], *(b["text"] for row in rows for b in row)])


def button(reply: dict, words: str) -> str:
    """The callback data of the button for the option whose label holds `words`."""
    rows = reply.get("reply_markup", {}).get("inline_keyboard", [])
    for row in rows:
        for b in row:
            if words in b["text"]:
                return b["callback_data"]
    for line in reply["text"].splitlines():  # listed in the text: its number's button
        number, _, label = line.partition(". ")
        if words in label:
            return next(b["callback_data"] for row in rows for b in row if b["text"] == number)
    raise AssertionError(f"no option {words!r} in {reply!r}")


def code_for(journey: BotOnCar2go, text: str, user: str) -> str:
    """The customer opens the link in `text` and allows access: the code car2go shows."""
    token = LINK.search(text).group(1).rsplit("=", 1)[1]
    return journey.car2go.approve(token, user)


def test_telegram_journey(journey: BotOnCar2go) -> None:
    user = customer(journey)
    chat = TelegramUser(user_id=700_000_000 + secrets.randbelow(10**8), start=31)
    vin, plate, *_ = CARS["telegram"]
    asked = journey.telegram(chat.text("/start"))["text"]
    assert "to connect your account" in asked
    connected = journey.telegram(chat.text(code_for(journey, asked, user)))
    assert "You're connected, Max." in connected["text"]

    listing = journey.telegram(chat.text("/bookings"))
    assert "Karlstrasse 1" in shown(listing) and "no car assigned yet" in shown(listing)

    assert "Where are you?" in journey.telegram(chat.text("/book"))["text"]
    cars = journey.telegram(chat.text("Blaubeurer Strasse"))
    assert f"{plate}, Blaubeurer Strasse 128, 89077 Ulm, fuel 81%, combustion" in shown(cars)
    reserved = journey.telegram(chat.press(button(cars, plate)))["text"]
    assert f"Reserved: {plate}" in reserved
    [booking] = [b for b in journey.car2go.open_bookings(user) if b.vin == vin]

    listing = journey.telegram(chat.text("/bookings"))
    assert f"{plate}, fuel 81%, combustion" in shown(listing)
    assert "Blaubeurer Strasse 128" in shown(listing)

    asked = journey.telegram(chat.text(f"CANCEL {booking.id}"))
    done = journey.telegram(chat.press(button(asked, "Yes")))["text"]
    assert "is cancelled" in done and "A cancellation fee of EUR 4.00 applies." in done
    assert all(b.vin != vin for b in journey.car2go.open_bookings(user))

    assert_revoked_asks_to_connect_again(
        journey, user, lambda: journey.telegram(chat.text("/bookings"))["text"]
    )


def test_sms_journey(journey: BotOnCar2go) -> None:
    user = customer(journey)
    phone = sms_customer(journey)
    vin, plate, *_ = CARS["sms"]
    asked = journey.sms(phone, "hi")
    assert "to connect your account" in asked
    assert "You're connected, Max." in journey.sms(phone, code_for(journey, asked, user))

    listing = journey.sms(phone, "BOOKINGS")
    assert "no car assigned yet" in listing

    assert "Where are you?" in journey.sms(phone, "BOOK")
    cars = journey.sms(phone, "Sudetenweg")
    assert f"1 {plate}, Sudetenweg 7, fuel 81%, combustion" in cars
    assert f"Reserved: {plate}" in journey.sms(phone, "1")
    [booking] = [b for b in journey.car2go.open_bookings(user) if b.vin == vin]

    listing = journey.sms(phone, "BOOKINGS")
    if "More" in listing:
        listing += journey.sms(phone, "MORE")
    assert f"{plate}, fuel 81%, combustion" in listing

    asked = journey.sms(phone, f"CANCEL {booking.id}")
    done = journey.sms(phone, "YES") if "cancel it" in asked.lower() else asked
    assert "is cancelled" in done and "A cancellation fee of EUR 4.00 applies." in done

    assert_revoked_asks_to_connect_again(journey, user, lambda: journey.sms(phone, "BOOKINGS"))


def assert_revoked_asks_to_connect_again(journey: BotOnCar2go, user: str, ask) -> None:
    for token, access in list(journey.car2go.access_tokens.items()):
        if access.user == user:
            journey.car2go.revoke(token)  # the customer withdrew access in car2go's portal
    answer = ask()
    assert "Please connect again." in answer
    assert LINK.search(answer), "a fresh link comes with it"


def test_telegram_coming_back_through_the_callback(journey: BotOnCar2go) -> None:
    user = customer(journey)
    chat = TelegramUser(user_id=700_000_000 + secrets.randbelow(10**8), start=32)
    asked = journey.telegram(chat.text("/bookings"))["text"]  # asked before connecting
    journey.bot_api.reset()
    back = journey.allow(LINK.search(asked).group(1), user)
    assert back.status_code == 302
    page = journey.http.get(back.headers["Location"])
    assert page.status_code == 200 and "You're connected" in page.text
    [told] = [
        c for c in journey.bot_api.methods("sendMessage") if c.params["chat_id"] == chat.chat_id
    ]
    assert told.params["text"].startswith("You're connected, Max.")
    assert "Your bookings" in told.params["text"]  # then what it asked before connecting
    assert journey.http.get(back.headers["Location"]).status_code == 410  # once only


def test_sms_coming_back_through_the_callback(journey: BotOnCar2go) -> None:
    user = customer(journey)
    phone = sms_customer(journey)
    asked = journey.sms(phone, "hello")
    before = len(journey.twilio.sent())
    back = journey.allow(LINK.search(asked).group(1), user)
    page = journey.http.get(back.headers["Location"])
    assert page.status_code == 200 and "You're connected" in page.text
    [told] = journey.twilio.sent()[before:]
    assert told["To"] == phone
    assert told["From"] == OUR_NUMBER  # the number the customer wrote to
    assert told["Body"].startswith("You're connected, Max.")
    assert "Book" in journey.sms(phone, "MENU")  # the chat is connected
