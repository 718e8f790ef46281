"""The hot journey's requests, and how answers are checked against the bot and against the floor."""

from __future__ import annotations

import dataclasses
import itertools
import time

import httpx
import pytest
import redis

from benchmarks.driver import Plan, collect, make_chats
from benchmarks.floor_app import create_app
from benchmarks.journeys import ChatLog, SmsChat, Target, TelegramChat, run_chat
from benchmarks.seed import TELEGRAM_LOGINS, sms_login
from benchmarks.stats import DriveResult
from tests.conftest import REDIS_TEST_URL, forget_floor_keys

SECRET = "floor-secret"


@pytest.fixture
def http(real_redis: redis.Redis, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("REDIS_URL", REDIS_TEST_URL)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    forget_floor_keys(real_redis)
    with httpx.Client(transport=httpx.WSGITransport(app=create_app())) as client:
        yield client
    forget_floor_keys(real_redis)


def target(bot_replies: bool) -> Target:
    return Target(
        base_url="http://floor.test",
        public_url="http://floor.test",
        telegram_secret=SECRET,
        twilio_account_sid="AC" + "b" * 32,
        twilio_auth_token="c" * 32,
        bot_replies=bot_replies,
    )


def chats(http: httpx.Client, bot_replies: bool) -> list[TelegramChat | SmsChat]:
    ids = itertools.count(1)
    return [
        TelegramChat(http, target(bot_replies), 5_000_001, TELEGRAM_LOGINS[0], ids),
        SmsChat(http, target(bot_replies), sms_login(0), ids),
    ]


def two_loops(done: int) -> bool:
    return done < 2


def test_the_hot_loop_is_two_messages_and_the_floor_passes_the_format_checks(
    http, real_redis: redis.Redis
):
    for chat in chats(http, bot_replies=False):
        log = run_chat(chat, two_loops, time.monotonic() + 30, journey="hot")
        assert (log.journeys, log.messages, dict(log.errors)) == (2, 4, {})
        assert sorted(log.by_step_ms) == ["list", "menu"]
    assert real_redis.get("floor:telegram:5000001") == b"4"
    assert real_redis.get(f"floor:sms:+{sms_login(0).phone}") == b"4"


def test_logging_in_is_its_own_journey(http):
    telegram, sms = chats(http, bot_replies=False)
    assert run_chat(telegram, lambda done: done < 1, time.monotonic() + 30, "login").messages == 3
    assert run_chat(sms, lambda done: done < 1, time.monotonic() + 30, "login").messages == 2


def test_the_bots_words_are_checked_and_a_wrong_answer_logs_out_and_in_again(http):
    telegram = chats(http, bot_replies=True)[0]
    log = run_chat(telegram, lambda done: done < 1, time.monotonic() + 30, journey="hot")
    # the bot's list was expected; the recovery logs out and starts logging in again, where the
    # floor's answer to /start is wrong too
    assert log.errors == {"list: text": 1, "start: text": 1}
    assert (log.aborted, log.journeys, log.messages) == (1, 0, 3)


def test_the_full_journey_runs_against_the_floor_without_booking_buttons(http):
    for chat in chats(http, bot_replies=False):
        log = run_chat(chat, lambda done: done < 1, time.monotonic() + 30, journey="full")
        assert (log.journeys, dict(log.errors)) == (1, {})
        assert log.messages == 7


@pytest.mark.parametrize("channel", ["telegram", "sms"])
def test_load_processes_share_the_chats_and_never_an_id(channel):
    plan = Plan(channel, chats=7, target=target(True), run_number=3, drivers=3)
    shards = [make_chats(dataclasses.replace(plan, shard=k), httpx.Client()) for k in range(3)]
    phones = [chat.login.phone for shard in shards for chat in shard]
    assert sorted(phones) == sorted(c.login.phone for c in make_chats(plan_of_one(plan), None))
    assert len(set(phones)) == 7, "every chat driven once, by one process"
    first_ids = [
        next(chat.update_ids if channel == "telegram" else chat.sids)
        for chat in (shard[0] for shard in shards)
    ]
    assert len(set(first_ids)) == 3, "each process numbers its updates apart from the others"


def plan_of_one(plan: Plan) -> Plan:
    return dataclasses.replace(plan, drivers=1, shard=0)


def test_the_results_of_several_load_processes_make_one_run():
    parts = [DriveResult("sms", 2, elapsed_s=8.2, messages=10), DriveResult("sms", 1, 8.4, 5)]
    parts[0].latencies_ms, parts[1].latencies_ms = [10.0, 20.0], [30.0]
    parts[0].errors["menu: HTTP 503"], parts[1].errors["menu: HTTP 503"] = 1, 2
    run = DriveResult.merged("sms", parts)
    assert (run.chats, run.messages, run.elapsed_s) == (3, 15, 8.4)
    assert sorted(run.latencies_ms) == [10.0, 20.0, 30.0]
    assert run.errors == {"menu: HTTP 503": 3}


def test_the_chats_of_one_process_make_one_result():
    first = ChatLog(messages=4, latencies_ms=[10.0, 20.0], by_step_ms={"menu": [10.0]}, journeys=2)
    second = ChatLog(messages=3, latencies_ms=[30.0], by_step_ms={"menu": [30.0]}, aborted=1)
    second.errors["menu: HTTP 503"] = 1
    result = collect(Plan("telegram", chats=2, target=target(True)), [first, second], 8.1)
    assert (result.chats, result.messages, result.elapsed_s) == (2, 7, 8.1)
    assert result.latencies_ms == [10.0, 20.0, 30.0]
    assert result.latencies_by_step_ms == {"menu": [10.0, 30.0]}
    assert (result.journeys, result.aborted_journeys) == (2, 1)
    assert result.errors == {"menu: HTTP 503": 1}
    assert first.latencies_ms == [10.0, 20.0], "the chats' own logs are left as they were"
