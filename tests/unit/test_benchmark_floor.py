"""The floor the bot is compared with answers both webhooks in the platform's format, reading and
writing one Redis key per chat."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
import redis

from benchmarks.floor_app import SECRET_HEADER, create_app
from tests.conftest import REDIS_TEST_URL, forget_floor_keys

SECRET = "floor-secret"


@pytest.fixture
def floor(real_redis: redis.Redis, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("REDIS_URL", REDIS_TEST_URL)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    forget_floor_keys(real_redis)
    yield create_app().test_client()
    forget_floor_keys(real_redis)


def update(chat_id: int, press: bool = False) -> dict:
    message = {"message_id": 1, "chat": {"id": chat_id, "type": "private"}, "text": "/bookings"}
    if press:
        return {"update_id": 2, "callback_query": {"id": "9", "data": "MENU", "message": message}}
    return {"update_id": 1, "message": message}


def test_telegram_messages_and_presses_get_a_send_message_answer_for_their_chat(
    floor, real_redis: redis.Redis
):
    headers = {SECRET_HEADER: SECRET}
    first = floor.post("/telegram/webhook", json=update(77), headers=headers)
    second = floor.post("/telegram/webhook", json=update(77, press=True), headers=headers)
    assert first.get_json() == {"method": "sendMessage", "chat_id": 77, "text": "Message 1"}
    assert second.get_json()["text"] == "Message 2"
    assert real_redis.get("floor:telegram:77") == b"2"
    assert 0 < real_redis.ttl("floor:telegram:77") <= 3600


def test_telegram_without_the_secret_is_refused(floor, real_redis: redis.Redis):
    response = floor.post("/telegram/webhook", json=update(77), headers={SECRET_HEADER: "guess"})
    assert response.status_code == 403
    assert real_redis.get("floor:telegram:77") is None


def test_sms_gets_twiml_per_sender(floor, real_redis: redis.Redis):
    response = floor.post("/twilio/sms", data={"From": "+447700900200", "Body": "BOOKINGS"})
    root = ElementTree.fromstring(response.data)
    assert response.mimetype == "application/xml"
    assert [m.text for m in root.iter("Message")] == ["Message 1"]
    assert real_redis.get("floor:sms:+447700900200") == b"1"
    assert floor.get("/healthz").status_code == 200
