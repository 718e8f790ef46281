"""The webhook app built from its factory with test settings, a fake Bot API, signed requests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bot.config import Settings
from bot.runtime import Runtime, build_runtime
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, sign, sms_params
from webhooks.app import create_app

BOT_TOKEN = "123456:TEST-token_abcdefghijklmnopqrstuvwxyz"
WEBHOOK_SECRET = "s3cret-webhook_token"
SMS_URL = "http://localhost/twilio/sms"


@pytest.fixture(scope="session")
def bot_api_server() -> Iterator[FakeBotApi]:
    api = FakeBotApi().start()
    yield api
    api.stop()


@pytest.fixture
def bot_api(bot_api_server: FakeBotApi) -> FakeBotApi:
    bot_api_server.reset()
    return bot_api_server


@pytest.fixture
def settings(bot_api: FakeBotApi) -> Settings:
    return Settings(
        telegram_bot_token=BOT_TOKEN,
        telegram_webhook_secret=WEBHOOK_SECRET,
        telegram_api_url=bot_api.url,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
    )


@pytest.fixture
def redis_client(request: pytest.FixtureRequest):
    """The in-process store, or a real Redis for tests marked with `BOTH_STORES`."""
    kind = getattr(request, "param", "in-process")
    return request.getfixturevalue("real_redis" if kind == "real-redis" else "memory_redis")


BOTH_STORES = pytest.mark.parametrize("redis_client", ["real-redis", "in-process"], indirect=True)
"""Run a test on a real Redis server and on the embedded in-process store."""


@pytest.fixture
def runtime(redis_client, backend, settings: Settings, clock) -> Runtime:
    return build_runtime(settings, redis_client=redis_client, backend=backend, clock=clock)


@pytest.fixture
def app(settings: Settings, runtime: Runtime) -> Iterator[Flask]:
    app = create_app(settings, runtime)
    yield app
    app.extensions["booking_bot"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class TelegramPoster:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def post(self, update: Any, secret: str | None = WEBHOOK_SECRET, **kwargs: Any) -> TestResponse:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        if isinstance(update, dict | list):
            return self.client.post("/telegram/webhook", json=update, headers=headers, **kwargs)
        return self.client.post(
            "/telegram/webhook",
            data=update,
            headers=headers,
            content_type="application/json",
            **kwargs,
        )

    def send(self, update: dict[str, Any]) -> dict[str, Any]:
        """Post and return the method in the response body ({} for an empty body)."""
        response = self.post(update)
        assert response.status_code == 200, response.data
        return response.get_json() if response.data else {}


class SmsPoster:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def post(
        self,
        params: dict[str, str],
        *,
        url: str = SMS_URL,
        signed_for: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> TestResponse:
        signature = sign(signed_for or url, params)
        return self.client.post(
            url,
            data=params,
            headers={"X-Twilio-Signature": signature, **(headers or {})},
        )

    def send(self, sender: str, body: str, **kwargs: Any) -> str:
        """Post a signed message and return the text of the TwiML <Message> ('' if none)."""
        response = self.post(sms_params(sender, body, **kwargs))
        assert response.status_code == 200, response.data
        return message_text(response)


def message_text(response: TestResponse) -> str:
    assert response.content_type.startswith("text/xml")
    root = ElementTree.fromstring(response.data)
    assert root.tag == "Response"
    messages = root.findall("Message")
    assert len(messages) <= 1
    return (messages[0].text or "") if messages else ""


@pytest.fixture
def telegram(client: FlaskClient) -> TelegramPoster:
    return TelegramPoster(client)


@pytest.fixture
def sms(client: FlaskClient) -> SmsPoster:
    return SmsPoster(client)
