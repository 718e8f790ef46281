"""The Redis side of a message: delivery claims, the conversation lock, sessions, PIN lock-out.

Runs against a real Redis server and the in-process store alike.
"""

from __future__ import annotations

import threading

import pytest
import redis

from bot.sessions import (
    Claim,
    ConversationBusy,
    Keys,
    PinLockout,
    Session,
    SessionStore,
    StoreUnavailable,
    open_redis,
)


@pytest.fixture
def store(any_redis: redis.Redis) -> SessionStore:
    return SessionStore(any_redis, wait_seconds=0.2, lock_ttl_ms=2000)


def test_new_conversation_starts_with_an_empty_session(store: SessionStore) -> None:
    claim = store.begin("sms:447700900123", "SM1")
    assert isinstance(claim, Claim)
    assert claim.session == Session()


def test_finish_saves_the_session_and_unlocks(store: SessionStore) -> None:
    claim = store.begin("c", None)
    assert isinstance(claim, Claim)
    claim.session.state = "menu"
    assert store.finish(claim, claim.session, "[]")
    assert store.load("c").state == "menu"
    again = store.begin("c", None)
    assert isinstance(again, Claim) and again.session.state == "menu"


def test_a_retried_delivery_gets_the_stored_response_and_runs_nothing(store: SessionStore) -> None:
    claim = store.begin("c", "update-7")
    assert isinstance(claim, Claim)
    store.finish(claim, claim.session, '[{"text": "hello"}]')
    assert store.begin("c", "update-7") == '[{"text": "hello"}]'
    assert store.begin("c", "update-7") == '[{"text": "hello"}]'


def test_a_delivery_in_progress_makes_its_retry_wait(store: SessionStore) -> None:
    claim = store.begin("c", "update-8")
    assert isinstance(claim, Claim)
    with pytest.raises(ConversationBusy):
        store.begin("c", "update-8")


def test_one_conversation_is_handled_by_one_worker_at_a_time(store: SessionStore) -> None:
    held = store.begin("c", "a")
    assert isinstance(held, Claim)
    with pytest.raises(ConversationBusy):
        store.begin("c", "b")
    other = store.begin("another conversation", "b")
    assert isinstance(other, Claim)


def test_a_waiting_message_runs_once_the_lock_is_released(any_redis: redis.Redis) -> None:
    store = SessionStore(any_redis, wait_seconds=5)
    held = store.begin("c", "a")
    assert isinstance(held, Claim)
    got: list[Claim | str] = []
    waiter = threading.Thread(target=lambda: got.append(store.begin("c", "b")))
    waiter.start()
    held.session.state = "menu"
    store.finish(held, held.session, "[]")
    waiter.join(5)
    assert isinstance(got[0], Claim) and got[0].session.state == "menu"


def test_an_expired_lock_taken_by_another_worker_is_not_overwritten(
    any_redis: redis.Redis,
) -> None:
    store = SessionStore(any_redis, lock_ttl_ms=50, wait_seconds=2)
    slow = store.begin("c", None)
    assert isinstance(slow, Claim)
    fast = store.begin("c", None)  # waits until the slow worker's lock expires
    assert isinstance(fast, Claim)
    fast.session.state = "menu"
    assert store.finish(fast, fast.session, "[]")
    slow.session.state = "ask_pin"
    assert not store.finish(slow, slow.session, "[]")
    assert store.load("c").state == "menu"


def test_abort_releases_lock_and_claim_so_the_retry_runs(store: SessionStore) -> None:
    claim = store.begin("c", "update-9")
    assert isinstance(claim, Claim)
    store.abort(claim)
    assert isinstance(store.begin("c", "update-9"), Claim)


def test_keys_of_one_conversation_share_a_cluster_hash_tag() -> None:
    keys = Keys()
    tags = {
        k[k.index("{") : k.index("}") + 1]
        for k in (keys.session("sms:1"), keys.lock("sms:1"), keys.delivery("sms:1", "SM1"))
    }
    assert tags == {"{sms:1}"}


def test_unreadable_session_record_starts_over(store: SessionStore, any_redis: redis.Redis) -> None:
    any_redis.set(store.keys.session("c"), b"\xff not json")
    claim = store.begin("c", None)
    assert isinstance(claim, Claim) and claim.session == Session()


def test_unreachable_redis_raises_store_unavailable() -> None:
    client = open_redis("redis://127.0.0.1:1/0")
    store = SessionStore(client)
    with pytest.raises(StoreUnavailable):
        store.begin("c", "d")
    with pytest.raises(StoreUnavailable):
        PinLockout(client).locked_until(["x"], 0)


class TestPinLockout:
    def test_five_failures_within_fifteen_minutes_lock_for_fifteen_minutes(
        self, any_redis: redis.Redis
    ) -> None:
        lockout = PinLockout(any_redis)
        ids = ["id:447700900123", "conv:sms:447700900123"]
        for n in range(4):
            assert not lockout.record_failure(ids, 1000.0 + n)
            assert lockout.locked_until(ids, 1000.0 + n) is None
        assert lockout.record_failure(ids, 1004.0)
        assert lockout.locked_until(ids, 1005.0) == 1004.0 + 900
        assert lockout.locked_until(ids, 1004.0 + 899) is not None
        assert lockout.locked_until(ids, 1004.0 + 901) is None

    def test_failures_older_than_the_window_do_not_count(self, any_redis: redis.Redis) -> None:
        lockout = PinLockout(any_redis)
        for n in range(4):
            lockout.record_failure(["id:1"], 1000.0 + n)
        assert not lockout.record_failure(["id:1"], 1000.0 + 901)

    def test_one_conversation_trying_many_numbers_is_locked_too(
        self, any_redis: redis.Redis
    ) -> None:
        lockout = PinLockout(any_redis)
        locked = [lockout.record_failure([f"id:{n}", "conv:telegram:5"], 10.0) for n in range(5)]
        assert locked == [False] * 4 + [True]
        assert lockout.locked_until(["id:999", "conv:telegram:5"], 11.0) is not None
        assert lockout.locked_until(["id:999", "conv:telegram:6"], 11.0) is None

    def test_clear_forgets_failures(self, any_redis: redis.Redis) -> None:
        lockout = PinLockout(any_redis)
        for n in range(4):
            lockout.record_failure(["id:1"], 10.0 + n)
        lockout.clear(["id:1"])
        assert not lockout.record_failure(["id:1"], 20.0)
