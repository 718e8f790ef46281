"""Real and broken Telegram updates: every one is acknowledged, read as far as it can be, and
every button press is answered; a PIN message is deleted even when Telegram fails at first."""

from __future__ import annotations

import logging

import pytest

from bot.channels.telegram import parse_update
from bot.conversation.engine import Delivered
from bot.messages import Reply
from tests.fakes.updates import (
    CHANNEL_POST,
    DOCS_CALLBACK,
    DOCS_EDITED,
    DOCS_START,
    MY_CHAT_MEMBER,
    TelegramUser,
    broken_updates,
)
from tests.webhooks.conftest import BOT_TOKEN


class RecordingEngine:
    """Answers with fixed replies and keeps what it was given."""

    def __init__(self, replies: list[Reply]) -> None:
        self.replies = replies
        self.seen = []

    def handle_delivery(self, incoming):
        self.seen.append(incoming)
        return Delivered(list(self.replies), replayed=False)


def test_the_bot_api_docs_own_start_example_is_answered(telegram, bot_api, runtime):
    welcome = telegram.send(DOCS_START)
    assert welcome["method"] == "sendMessage"
    assert welcome["chat_id"] == 1111111
    assert "Welcome to Demo Cabs & Cleaning." in welcome["text"]


def test_an_old_button_press_is_answered_and_read(telegram, runtime):
    runtime.engine = RecordingEngine([Reply("Noted")])
    body = telegram.send(DOCS_CALLBACK)
    [incoming] = runtime.engine.seen
    assert (incoming.conversation, incoming.button) == ("1111111", "Data from button callback")
    assert body["text"] == "Noted"


def test_an_old_edited_message_is_read_as_an_edit(telegram, runtime):
    runtime.engine = RecordingEngine([Reply("Please send it again")])
    telegram.send(DOCS_EDITED)
    [incoming] = runtime.engine.seen
    assert (incoming.text, incoming.edited, incoming.message_id) == ("Edited text", True, "1366")


def test_an_edited_pin_is_passed_on_as_an_edit_and_deleted(telegram, runtime, bot_api):
    user = TelegramUser(user_id=5151)
    runtime.engine = RecordingEngine([Reply("Please send it again", delete_incoming=True)])
    edit = user.edited("1234")
    body = telegram.send(edit)
    [incoming] = runtime.engine.seen
    assert incoming.edited and incoming.text == "1234"
    [delete] = bot_api.methods("deleteMessage")
    assert delete.params == {"chat_id": user.chat_id, "message_id": user.last_message_id}
    assert body["text"] == "Please send it again"


@pytest.mark.parametrize("update", [CHANNEL_POST, MY_CHAT_MEMBER], ids=["channel", "member"])
def test_other_kinds_are_acknowledged_without_a_conversation(telegram, runtime, update, caplog):
    caplog.set_level(logging.INFO, logger="webhooks")
    response = telegram.post(update)
    assert (response.status_code, response.data) == (200, b"")
    assert runtime.store.client.keys("*") == []
    assert "not handled" in caplog.text


@pytest.mark.parametrize("name", list(broken_updates(TelegramUser())))
def test_updates_that_crashed_the_webhook_are_acknowledged(telegram, runtime, bot_api, name):
    user = TelegramUser(user_id=6161)
    telegram.send(user.text("/start"))
    telegram.send(user.text("+44 7700 900123"))  # the next message is read at the PIN step
    update = broken_updates(user)[name]
    first = telegram.post(update)
    assert first.status_code == 200
    again = telegram.post(update)  # Telegram's retry: the same answer, never a stored 500
    assert (again.status_code, again.data) == (200, first.data)
    if "callback_query" in update:
        body = first.get_json()
        assert body == {
            "method": "answerCallbackQuery",
            "callback_query_id": update["callback_query"]["id"],
        }


def test_a_pin_sent_with_a_message_id_that_is_not_a_number_logs_in_and_deletes_nothing(
    telegram, runtime, bot_api
):
    user = TelegramUser(user_id=6262)
    telegram.send(user.text("/start"))
    telegram.send(user.text("+44 7700 900123"))
    update = broken_updates(user)["message-id-abc"]
    assert "you're logged in" in telegram.send(update)["text"]
    assert bot_api.methods("deleteMessage") == []


def test_a_press_whose_data_cannot_be_used_is_still_answered(telegram, runtime):
    update = TelegramUser(user_id=6363).press("x")
    update["callback_query"]["data"] = {"not": "text"}
    body = telegram.send(update)
    assert body == {
        "method": "answerCallbackQuery",
        "callback_query_id": update["callback_query"]["id"],
    }
    assert runtime.store.client.keys("*") == []


def test_parse_reads_chat_text_and_callback_id_when_the_library_cannot(caplog):
    parsed = parse_update(DOCS_START)
    assert parsed.partial
    assert (parsed.incoming.conversation, parsed.incoming.text) == ("1111111", "/start")
    assert parse_update(DOCS_CALLBACK).callback_query_id == "4382bfdwdsb323b2d9"
    group = {
        **DOCS_START,
        "message": {**DOCS_START["message"], "chat": {"id": -5, "type": "group"}},
    }
    assert parse_update(group).incoming is None
    assert parse_update({"update_id": "x", "message": {}}).incoming is None


def test_a_pin_message_is_deleted_on_a_second_try(telegram, user_pin_login, bot_api, caplog):
    bot_api.flaky["deleteMessage"] = 1
    user, body = user_pin_login()
    assert "you're logged in" in body["text"]
    deletes = bot_api.methods("deleteMessage")
    assert len(deletes) == 2
    assert all(d.params["message_id"] == user.last_message_id for d in deletes)
    assert "could not be deleted" not in caplog.text


def test_a_pin_message_that_cannot_be_deleted_is_tried_three_times_and_logged(
    telegram, user_pin_login, bot_api, caplog
):
    caplog.set_level(logging.DEBUG)
    bot_api.flaky["deleteMessage"] = 5
    user, body = user_pin_login()
    assert "you're logged in" in body["text"]
    assert len(bot_api.methods("deleteMessage")) == 3
    [warning] = [r.getMessage() for r in caplog.records if "could not be deleted" in r.getMessage()]
    assert str(user.last_message_id) in warning
    assert "1234" not in caplog.text
    assert BOT_TOKEN not in caplog.text


@pytest.fixture
def user_pin_login(telegram):
    def log_in():
        user = TelegramUser(user_id=7171)
        telegram.send(user.text("/start"))
        telegram.send(user.text("+44 7700 900123"))
        return user, telegram.send(user.text("1234"))

    return log_in
