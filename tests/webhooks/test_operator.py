"""What an operator relies on: log lines that say what happened without a secret, the body cap
on chunked bodies, and a refusal to run several processes on in-memory sessions."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from bot.config import Settings
from bot.messages import chat_hash
from tests.fakes.twilio import AUTH_TOKEN, sms_params
from tests.fakes.updates import TelegramUser
from tests.webhooks.conftest import BOT_TOKEN, WEBHOOK_SECRET, SmsPoster
from webhooks.app import SharedStoreRequired, create_app

SENDER = "+447700900123"
HANDLED = re.compile(
    r"(?P<channel>\w+) message chat=(?P<chat>[0-9a-f]{12}) state=(?P<state>\S+) "
    r"time=\d+ms outcome=(?P<outcome>\S+)"
)


def handled_lines(caplog) -> list[re.Match]:
    return [m for r in caplog.records if (m := HANDLED.fullmatch(r.getMessage()))]


def test_one_line_per_message_and_never_a_secret_across_a_login(telegram, sms, caplog):
    caplog.set_level(logging.DEBUG)
    user = TelegramUser(user_id=8181)
    telegram.send(user.text("/start"))
    telegram.send(user.text("+44 7700 900123"))
    assert "you're logged in" in telegram.send(user.text("1234"))["text"]
    sms.send(SENDER, "hi")
    sms.send(SENDER, "1234")

    lines = handled_lines(caplog)
    assert [m["channel"] for m in lines] == ["telegram"] * 3 + ["sms"] * 2
    assert {m["chat"] for m in lines[:3]} == {chat_hash(f"telegram:{user.chat_id}")}
    assert lines[2]["state"] != "-" and lines[2]["outcome"] == "answered"
    assert all(m["outcome"] == "answered" for m in lines)
    for secret in ("1234", BOT_TOKEN, WEBHOOK_SECRET, AUTH_TOKEN):
        assert secret not in caplog.text


def test_a_replayed_delivery_is_logged_as_such(telegram, caplog):
    caplog.set_level(logging.INFO)
    update = TelegramUser(user_id=8282).text("/start")
    telegram.send(update)
    telegram.send(update)
    assert [m["outcome"] for m in handled_lines(caplog)] == ["answered", "replayed"]


def chunked_post(client, path: str, size: int, **headers: str):
    """A body without Content-Length, as a chunked request reaches the app."""
    return client.post(
        path,
        input_stream=io.BytesIO(b" " * size),
        headers={"Transfer-Encoding": "chunked", **headers},
        content_type="application/json",
    )


def test_a_chunked_body_over_the_cap_is_413(client, settings):
    over = settings.max_body_bytes + 1
    response = chunked_post(
        client, "/telegram/webhook", over, **{"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    )
    assert response.status_code == 413
    assert response.get_json() == {"error": "Request Entity Too Large", "status": 413}
    assert chunked_post(client, "/twilio/sms", over).status_code == 413


def test_a_chunked_body_under_the_cap_is_read(client):
    data = json.dumps(TelegramUser(user_id=8383).text("/start")).encode()
    response = client.post(
        "/telegram/webhook",
        input_stream=io.BytesIO(data),
        headers={"Transfer-Encoding": "chunked", "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert "Welcome" in response.get_json()["text"]


def test_several_workers_need_redis(settings):
    many = Settings(**{**settings.__dict__, "web_concurrency": 2})
    with pytest.raises(SharedStoreRequired, match="set REDIS_URL"):
        create_app(many)


def test_one_worker_may_use_the_in_process_store(settings, tmp_path):
    one = Settings(**{**settings.__dict__, "database_url": f"sqlite:///{tmp_path / 'b.db'}"})
    app = create_app(one)
    assert SmsPoster(app.test_client()).post(sms_params(SENDER, "hi")).status_code == 200
    app.extensions["booking_bot"].close()


def test_log_level_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LOG_LEVEL", "warning")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'b.db'}")
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    app = create_app()
    assert logging.getLogger("webhooks").level == logging.WARNING
    assert logging.getLogger("bot").level == logging.WARNING
    app.extensions["booking_bot"].close()
    monkeypatch.setenv("LOG_LEVEL", "chatty")
    with pytest.raises(ValueError, match="LOG_LEVEL"):
        create_app()
