"""POST /telegram/webhook through Flask's test client, with the fake Bot API recording calls."""

from __future__ import annotations

import logging
import socket

import pytest

from bot.config import Settings
from bot.conversation.engine import Delivered
from bot.messages import Reply, chat_hash
from tests.fakes.updates import TelegramUser, from_bot
from tests.webhooks.conftest import BOT_TOKEN, BOTH_STORES, WEBHOOK_SECRET, TelegramPoster
from webhooks.app import create_app

DEMO_PHONE = "447700900123"


@pytest.fixture
def user() -> TelegramUser:
    return TelegramUser(user_id=424242)


def session_of(runtime, user: TelegramUser):
    return runtime.store.load(f"telegram:{user.chat_id}")


def log_in(telegram: TelegramPoster, user: TelegramUser) -> dict:
    telegram.send(user.text("/start"))
    telegram.send(user.text("+44 7700 900123"))
    return telegram.send(user.text("1234"))


def buttons(method: dict) -> list[dict]:
    return [b for row in method["reply_markup"]["inline_keyboard"] for b in row]


@BOTH_STORES
def test_login_list_and_a_button_press(telegram, user, bot_api, runtime):
    welcome = telegram.send(user.text("/start"))
    assert welcome["method"] == "sendMessage"
    assert welcome["chat_id"] == user.chat_id
    assert "parse_mode" not in welcome  # plain text: nothing the customer types is markup
    assert "Welcome to Demo Cabs & Cleaning." in welcome["text"]
    assert welcome["reply_markup"]["keyboard"] == [
        [{"text": "Share my phone number", "request_contact": True}]
    ]
    assert welcome["reply_markup"]["one_time_keyboard"] is True

    asked = telegram.send(user.text("+44 7700 900123"))
    assert "send your PIN" in asked["text"]
    assert bot_api.calls == []  # one reply and nothing else: no outbound call

    menu = telegram.send(user.text("1234"))
    pin_message = user.last_message_id
    assert "you're logged in" in menu["text"]
    assert "1234" not in menu["text"]
    assert {"text": "My bookings", "callback_data": "BOOKINGS"} in buttons(menu)
    [delete] = bot_api.calls
    assert delete.token == BOT_TOKEN
    assert (delete.method, delete.params) == (
        "deleteMessage",
        {"chat_id": user.chat_id, "message_id": pin_message},
    )
    assert session_of(runtime, user).logged_in

    listing = telegram.send(user.text("/bookings"))
    lines = listing["text"].split("\n")
    assert lines[0] == "Your bookings, soonest first:"
    assert lines[1].startswith("1. #")
    numbered = buttons(listing)
    assert [b["text"] for b in numbered] == [str(n) for n in range(1, len(numbered) + 1)]
    assert numbered[-1]["callback_data"] == "MENU"
    assert len(numbered) == len(lines) - 1

    first = numbered[0]["callback_data"]
    press = user.press(first)
    details = telegram.send(press)
    assert details["text"].startswith(f"Booking #{first}:")
    assert {"text": "All bookings", "callback_data": "BOOKINGS"} in buttons(details)
    answered = bot_api.methods("answerCallbackQuery")
    assert [c.params for c in answered] == [{"callback_query_id": press["callback_query"]["id"]}]
    assert len(bot_api.calls) == 2  # deleteMessage, answerCallbackQuery: nothing else


@BOTH_STORES
def test_the_customers_own_shared_contact_logs_in_but_not_someone_elses(telegram, user, runtime):
    telegram.send(user.text("/start"))
    refused = telegram.send(user.contact(DEMO_PHONE, user_id=31337))
    assert "PIN" not in refused["text"]
    assert session_of(runtime, user).identity is None

    telegram.send(user.contact("+" + DEMO_PHONE))
    assert session_of(runtime, user).identity == DEMO_PHONE
    assert "you're logged in" in telegram.send(user.text("1234"))["text"]


def test_customer_text_is_sent_back_as_plain_text(telegram, user):
    log_in(telegram, user)
    answer = telegram.send(user.text("CANCEL <b>&x</b>"))
    assert "parse_mode" not in answer  # shown exactly as typed, never rendered as markup
    assert "&lt;" not in answer["text"]


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", WEBHOOK_SECRET + "x"])
def test_a_missing_or_forged_secret_is_refused(telegram, user, runtime, bot_api, secret):
    response = telegram.post(user.text("/start"), secret=secret)
    assert response.status_code == 403
    assert response.get_json()["status"] == 403
    assert session_of(runtime, user).state == "start"
    assert runtime.store.client.keys("*") == []
    assert bot_api.calls == []


def test_without_a_bot_token_the_endpoint_does_not_exist(runtime, user):
    app = create_app(Settings(), runtime)
    response = TelegramPoster(app.test_client()).post(user.text("/start"))
    assert response.status_code == 404


def test_without_a_webhook_secret_everything_is_refused(runtime, user, settings):
    app = create_app(Settings(telegram_bot_token=BOT_TOKEN), runtime)
    poster = TelegramPoster(app.test_client())
    assert poster.post(user.text("/start"), secret="").status_code == 403
    assert poster.post(user.text("/start"), secret=WEBHOOK_SECRET).status_code == 403


@BOTH_STORES
def test_a_delivery_posted_three_times_runs_once(telegram, user, bot_api, runtime):
    telegram.send(user.text("/start"))
    telegram.send(user.text("+44 7700 900123"))
    pin = user.text("1234")
    bodies = [telegram.post(pin) for _ in range(3)]
    assert [b.status_code for b in bodies] == [200, 200, 200]
    assert bodies[0].data == bodies[1].data == bodies[2].data
    assert "you're logged in" in bodies[0].get_json()["text"]
    assert len(bot_api.methods("deleteMessage")) == 1

    press = user.press("BOOKINGS")
    again = [telegram.post(press).data for _ in range(3)]
    assert again[0] == again[1] == again[2]
    assert len(bot_api.methods("answerCallbackQuery")) == 1


@BOTH_STORES
def test_wrong_pin_retried_counts_once(telegram, user, runtime):
    telegram.send(user.text("/start"))
    telegram.send(user.text("+44 7700 900123"))
    wrong = user.text("9999")
    for _ in range(3):
        assert "don't match" in telegram.send(wrong)["text"]
    failures = runtime.store.keys.failures(f"id:{DEMO_PHONE}")
    assert runtime.store.client.zcard(failures) == 1


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'"text"', b'{"update_id": "x", "message": "nope"}', b""],
    ids=["broken", "list", "string", "wrong-shape", "empty"],
)
def test_unreadable_bodies_are_acknowledged_and_logged(telegram, runtime, body, caplog):
    caplog.set_level(logging.INFO, logger="webhooks")
    response = telegram.post(body)
    assert response.status_code == 200
    assert response.data == b""
    assert runtime.store.client.keys("*") == []
    assert any(r.name == "webhooks.telegram" for r in caplog.records)


@pytest.mark.parametrize(
    "update",
    [
        from_bot("BOOKINGS"),
        {
            "update_id": 7,
            "inline_query": {
                "id": "1",
                "from": TelegramUser().sender(),
                "query": "bookings",
                "offset": "",
            },
        },
    ],
    ids=["from-a-bot", "unsupported-kind"],
)
def test_updates_the_bot_does_not_handle_are_acknowledged(telegram, runtime, update, caplog):
    caplog.set_level(logging.INFO, logger="webhooks")
    response = telegram.post(update)
    assert response.status_code == 200
    assert response.data == b""
    assert runtime.store.client.keys("*") == []
    assert "not handled" in caplog.text


class ScriptedEngine:
    def __init__(self, replies: list[Reply], replayed: bool = False) -> None:
        self.replies = replies
        self.replayed = replayed

    def handle_delivery(self, incoming):
        return Delivered(list(self.replies), self.replayed)


THREE = [Reply("first", delete_incoming=True), Reply("second & more"), Reply("third")]


def test_earlier_messages_go_out_before_the_last_rides_in_the_body(
    telegram, user, runtime, bot_api
):
    runtime.engine = ScriptedEngine(THREE)
    body = telegram.send(user.text("1234"))
    assert body["text"] == "third"
    assert [(c.method, c.params.get("text")) for c in bot_api.calls] == [
        ("deleteMessage", None),
        ("sendMessage", "first"),
        ("sendMessage", "second & more"),
    ]


def test_a_replayed_delivery_makes_no_outbound_calls(telegram, user, runtime, bot_api):
    runtime.engine = ScriptedEngine(THREE, replayed=True)
    assert telegram.send(user.text("1234"))["text"] == "third"
    assert bot_api.calls == []


def test_failing_outbound_calls_are_logged_never_a_500(telegram, user, runtime, bot_api, caplog):
    caplog.set_level(logging.DEBUG)
    runtime.engine = ScriptedEngine(THREE)
    bot_api.fail = {"deleteMessage", "sendMessage"}
    assert telegram.send(user.text("1234"))["text"] == "third"
    assert [c.method for c in bot_api.calls] == ["deleteMessage"] * 3 + ["sendMessage"] * 2
    warnings = [r.getMessage() for r in caplog.records if r.name == "webhooks.bot_api"]
    assert len(warnings) == 3
    assert "could not be deleted after 3 attempts" in warnings[0]
    assert all(chat_hash(f"telegram:{user.chat_id}") in w for w in warnings)
    assert str(user.chat_id) not in caplog.text, "logs name a chat by its hash"
    assert BOT_TOKEN not in caplog.text


def test_an_unreachable_bot_api_is_logged_never_a_500(runtime, user, settings, caplog):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    unreachable = Settings(**{**settings.__dict__, "telegram_api_url": f"http://127.0.0.1:{port}"})
    runtime.engine = ScriptedEngine(THREE)
    app = create_app(unreachable, runtime)
    response = TelegramPoster(app.test_client()).post(user.text("hi"))
    assert response.status_code == 200
    assert response.get_json()["text"] == "third"
    assert "Bot API sendMessage failed: NewConnectionError" in caplog.text
    assert BOT_TOKEN not in caplog.text
    app.extensions["booking_bot"].close()


def test_logs_name_the_conversation_by_its_hash_never_the_pin_or_token(telegram, user, caplog):
    caplog.set_level(logging.DEBUG)
    log_in(telegram, user)
    telegram.send(user.text("/bookings"))
    tag = chat_hash(f"telegram:{user.chat_id}")
    assert f"conversation {tag}: logged in as customer" in caplog.text
    assert f"telegram message chat={tag} state=bookings" in caplog.text
    assert str(user.chat_id) not in caplog.text
    assert "1234" not in caplog.text
    assert BOT_TOKEN not in caplog.text
    assert WEBHOOK_SECRET not in caplog.text
