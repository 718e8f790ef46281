"""A customer chatting with the bot on car2go (the engine with the car2go adapter, against the
local car2go): connected by the code car2go shows, the list with each car, a car reserved near a
typed street or a shared location, a cancel with car2go's fee, and a revoked access that asks to
connect again with a fresh link."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.backends.car2go import make_car2go_backend
from bot.conversation.states import State
from bot.runtime import build_runtime
from tests.conftest import TEST_SECRETS_KEY
from tests.fakes.car2go_server import FakeCar2go, settings_for
from tests.fakes.chat import Chat

BLAUBEURER = ("WME4513001K154451", "UL-C5713", "Blaubeurer Strasse 128, 89077 Ulm", 48.4008, 9.9596)
SUDETENWEG = ("WME4513001K154655", "UL-C5887", "Sudetenweg, 89075 Ulm", 48.4362, 10.029)
LINK = re.compile(r"https?://\S+oauth_token=([\w-]+)")


@pytest.fixture
def car2go() -> Iterator[FakeCar2go]:
    server = FakeCar2go().start()
    server.add_user("max", [(1002, "Max Mustermann")])
    server.add_car(*BLAUBEURER, fuel=90)
    server.add_car(*SUDETENWEG, fuel=24, engine="ED", charging=True)
    yield server
    server.stop()


@pytest.fixture(params=["telegram", "sms"])
def chat(request, car2go: FakeCar2go, any_redis) -> Iterator[Chat]:
    settings = settings_for(car2go, secrets_key=TEST_SECRETS_KEY, timezone="Europe/Berlin")
    runtime = build_runtime(settings, redis_client=any_redis, backend=make_car2go_backend(settings))
    yield Chat(runtime.engine, channel=request.param)
    runtime.backend.close()


def connect(chat: Chat, car2go: FakeCar2go, first: str = "hi") -> str:
    asked = chat.send(first)
    token = LINK.search(asked).group(1)
    return chat.send(car2go.approve(token))


def test_the_code_car2go_shows_connects_and_the_list_shows_each_car(chat, car2go):
    now = datetime.now(UTC)
    car2go.add_booking(
        "max", now - timedelta(minutes=5), "Blaubeurer Strasse 128", vin=BLAUBEURER[0]
    )
    car2go.add_booking("max", now - timedelta(minutes=2), "Sudetenweg", vin=SUDETENWEG[0])
    car2go.add_booking("max", now - timedelta(minutes=1), "Karlstrasse 1")
    assert "You're connected, Max." in connect(chat, car2go)
    listing = chat.send("BOOKINGS")
    assert "Your bookings" in listing and "in the past" not in listing
    if "More" in listing:  # SMS: what fits two segments, then the next page
        listing += chat.send("MORE")
    assert "UL-C5713, fuel 90%, combustion" in listing
    assert "UL-C5887, fuel 24%, electric, charging" in listing
    assert "no car assigned yet" in listing
    assert "Blaubeurer Strasse 128" in listing or chat.channel == "sms"


def test_a_car_near_a_typed_street_is_reserved(chat, car2go):
    connect(chat, car2go)
    assert "Where are you?" in chat.send("BOOK")
    cars = chat.send("Blaubeurer Strasse")
    assert "UL-C5713" in cars and "fuel 90%" in cars
    assert "Reserved: UL-C5713" in chat.send("1")
    [made] = car2go.open_bookings("max")
    assert made.vin == BLAUBEURER[0]
    [sent] = car2go.calls("POST", "POST bookings")
    assert sent.params["loc"] == "ulm" and sent.params["account"] == "1002"


def test_a_shared_location_offers_the_nearest_car_first(car2go, any_redis):
    settings = settings_for(car2go, secrets_key=TEST_SECRETS_KEY)
    runtime = build_runtime(settings, redis_client=any_redis, backend=make_car2go_backend(settings))
    chat = Chat(runtime.engine, channel="telegram")
    connect(chat, car2go, "book a car")  # what was asked before connecting comes next
    assert chat.session.state == State.BOOK_NEAR
    cars = chat.send(location=(48.4250, 10.0000))
    assert cars.index("UL-C5887") < cars.index("UL-C5713")
    assert "Reserved: UL-C5887" in chat.press("UL-C5887")
    runtime.backend.close()


def test_cancelling_says_the_fee_car2go_reports(chat, car2go):
    booking = car2go.add_booking(
        "max", datetime.now(UTC), "Blaubeurer Strasse 128", vin=BLAUBEURER[0], cancel_fee="4.00"
    )
    connect(chat, car2go)
    asked = chat.send(f"CANCEL {booking.id}")
    done = chat.send("YES") if "cancel it" in asked.lower() else asked
    assert "is cancelled" in done
    assert "A cancellation fee of EUR 4.00 applies." in done
    assert "late" not in done.lower()
    assert car2go.open_bookings("max") == []


def test_revoked_access_asks_to_connect_again_with_a_fresh_link(chat, car2go):
    connect(chat, car2go)
    [token] = list(car2go.access_tokens)
    car2go.revoke(token)
    answer = chat.send("BOOKINGS")
    assert "Please connect again." in answer
    fresh = LINK.search(answer).group(1)
    assert chat.session.state == State.ASK_LINK and not chat.session.logged_in
    assert "You're connected" in chat.send(car2go.approve(fresh))
