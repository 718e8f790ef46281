"""The app on car2go: coming back through the callback page connects the chat that asked, which
hears "You're connected" on its own channel; a chat that can't be told is connected all the same."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from flask import Flask

from bot.backends.car2go import make_car2go_backend
from bot.config import Settings
from tests.fakes.car2go_server import FakeCar2go, settings_for
from tests.fakes.twilio import OUR_NUMBER
from tests.fakes.twilio_api import FakeTwilioApi
from tests.fakes.updates import TelegramUser
from tests.webhooks.conftest import BOTH_STORES, SmsPoster, TelegramPoster
from webhooks.app import create_app

LINK = re.compile(r"(https?://\S+/api/authorize\?oauth_token=[\w-]+)")
PHONE = "+447700900321"


@pytest.fixture
def car2go() -> Iterator[FakeCar2go]:
    server = FakeCar2go().start()
    server.add_user("max", [(1002, "Max Mustermann")])
    server.callback_url = "http://localhost/oauth/car2go/callback"
    yield server
    server.stop()


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi().running() as server:
        yield server


@pytest.fixture
def settings(settings: Settings, car2go: FakeCar2go, twilio_api: FakeTwilioApi) -> Settings:
    on_car2go = settings_for(car2go)
    return replace(
        on_car2go,
        **{
            name: getattr(settings, name)
            for name in (
                "telegram_bot_token",
                "telegram_webhook_secret",
                "telegram_api_url",
                "twilio_account_sid",
                "twilio_auth_token",
            )
        },
        twilio_api_url=twilio_api.url,
        secrets_key="Y2FyMmdvLXdlYmhvb2stdGVzdC1rZXktMzJieXRlcyE=",
    )


@pytest.fixture
def backend(settings: Settings):
    backend = make_car2go_backend(settings)
    yield backend
    backend.close()


def come_back(app: Flask, link_text: str) -> str:
    """The customer allows access on car2go's page and is sent back to the callback route."""
    answer = httpx.get(LINK.search(link_text).group(1) + "&decision=allow&user=max")
    assert answer.status_code == 302
    page = app.test_client().get(answer.headers["Location"].removeprefix("http://localhost"))
    assert page.status_code == 200
    return page.get_data(as_text=True)


@BOTH_STORES
def test_a_telegram_chat_is_told_by_the_bot_api_and_carries_on(
    app, client, bot_api, runtime, car2go
):
    user = TelegramUser(user_id=5150)
    asked = TelegramPoster(client).send(user.text("/bookings"))["text"]
    assert "You're connected" in come_back(app, asked)
    [told] = bot_api.methods("sendMessage")
    assert told.params["chat_id"] == user.chat_id
    assert told.params["text"].startswith("You're connected, Max.")
    assert "no bookings yet" in told.params["text"]  # what it asked before connecting
    key = f"telegram:{user.chat_id}"
    session = runtime.store.load(key)
    assert session.logged_in
    token, secret = session.customer["token"], session.customer["token_secret"]
    assert token in car2go.access_tokens  # the access car2go granted
    stored = runtime.redis.get(runtime.store.keys.session(key))
    assert token.encode() not in stored and secret.encode() not in stored  # sealed at rest


def test_an_sms_chat_is_told_through_twilio_from_the_number_it_wrote_to(app, client, twilio_api):
    asked = SmsPoster(client).send(PHONE, "hi")
    come_back(app, asked)
    [told] = twilio_api.sent()
    assert (told["To"], told["From"]) == (PHONE, OUR_NUMBER)
    assert told["Body"].startswith("You're connected, Max.")


def test_twilio_down_still_connects_the_chat(app, client, twilio_api, runtime):
    twilio_api.fault = "503"
    asked = SmsPoster(client).send(PHONE, "hi")
    assert "You're connected" in come_back(app, asked)
    assert runtime.store.load(f"sms:{PHONE[1:]}").logged_in
    assert "What would you like to do?" in SmsPoster(client).send(PHONE, "MENU")


def test_the_callback_route_is_served_on_car2go_only(settings, runtime, backend):
    assert (
        create_app(settings, runtime).test_client().get("/oauth/car2go/callback").status_code == 400
    )
    builtin = replace(settings, booking_backend="builtin")
    other = create_app(builtin, runtime)
    assert other.test_client().get("/oauth/car2go/callback").status_code == 404


@BOTH_STORES
def test_a_pending_link_is_kept_sealed_for_the_chat_that_asked(client, runtime, car2go):
    asked = TelegramPoster(client).send(TelegramUser(user_id=5151).text("/start"))["text"]
    token = LINK.search(asked).group(1).rsplit("=", 1)[1]
    secret = car2go.request_tokens[token].secret
    key = runtime.links.request_key(token)
    if hasattr(runtime.redis, "hget"):
        owner, payload = runtime.redis.hget(key, "conversation"), runtime.redis.hget(key, "payload")
    else:
        owner, payload = runtime.redis.read(key)
    assert (owner.decode() if isinstance(owner, bytes) else owner) == "telegram:5151"
    assert secret not in (payload.decode() if isinstance(payload, bytes) else payload)
    assert secret not in runtime.store.load("telegram:5151").to_json()
