"""The store side of a message: delivery claims, the conversation lock, sessions, PIN lock-out.

Runs against a real Redis server and the in-process store alike (the same interface).
"""

from __future__ import annotations

import threading

import pytest
import redis

from bot.memory_store import MemoryKeyspace, MemoryPinLockout, MemorySessionStore
from bot.redis_store import RedisPinLockout, RedisSessionStore, connect_redis
from bot.runtime import keys_for
from bot.sessions import (
    Claim,
    ConversationBusy,
    Keys,
    PinLockout,
    Session,
    SessionStore,
    StoreUnavailable,
)


def make_store(client, **options) -> SessionStore:
    if isinstance(client, MemoryKeyspace):
        return MemorySessionStore(client, keys=keys_for(client), **options)
    return RedisSessionStore(client, keys=keys_for(client), **options)


def make_lockout(client) -> PinLockout:
    if isinstance(client, MemoryKeyspace):
        return MemoryPinLockout(client, keys=keys_for(client))
    return RedisPinLockout(client, keys=keys_for(client))


@pytest.fixture
def store(any_redis) -> SessionStore:
    return make_store(any_redis, wait_seconds=0.2, lock_ttl_ms=2000)


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


def test_a_waiting_message_runs_once_the_lock_is_released(any_redis) -> None:
    store = make_store(any_redis, wait_seconds=2)
    held = store.begin("c", "a")
    assert isinstance(held, Claim)
    got: list[Claim | str] = []
    waiter = threading.Thread(target=lambda: got.append(store.begin("c", "b")))
    waiter.start()
    held.session.state = "menu"
    store.finish(held, held.session, "[]")
    waiter.join(5)
    assert isinstance(got[0], Claim) and got[0].session.state == "menu"


def test_the_lock_wait_is_at_most_two_seconds_by_default(any_redis) -> None:
    store = make_store(any_redis)
    assert store.wait_seconds <= 2.0
    assert store.lock_ttl_ms <= 3_000, "an orphaned lock frees its conversation within 5 s"


def test_a_session_changed_by_another_message_meanwhile_is_not_overwritten(any_redis) -> None:
    store = make_store(any_redis, lock_ttl_ms=50, wait_seconds=2)
    slow = store.begin("c", "slow")
    assert isinstance(slow, Claim)
    fast = store.begin("c", "fast")  # waits until the slow worker's lock expires
    assert isinstance(fast, Claim)
    fast.session.state = "menu"
    assert store.finish(fast, fast.session, '["fast"]')
    slow.session.state = "ask_pin"
    assert not store.finish(slow, slow.session, '["slow"]')
    assert store.load("c").state == "menu"
    assert store.begin("c", "slow") == '["slow"]', "what the customer was told is replayed"


def test_a_step_that_outlived_its_lock_still_saves_when_nothing_changed(any_redis) -> None:
    store = make_store(any_redis, lock_ttl_ms=30, wait_seconds=0.2)
    claim = store.begin("c", "SM-slow")
    assert isinstance(claim, Claim)
    threading.Event().wait(0.1)  # the lock has expired; no other message came
    claim.session.state = "menu"
    assert store.finish(claim, claim.session, '["Booking cancelled. Fee: £15.00"]')
    assert store.load("c").state == "menu"
    assert store.begin("c", "SM-slow") == '["Booking cancelled. Fee: £15.00"]'


def test_abort_releases_lock_and_claim_so_the_retry_runs(store: SessionStore) -> None:
    claim = store.begin("c", "update-9")
    assert isinstance(claim, Claim)
    store.abort(claim)
    assert isinstance(store.begin("c", "update-9"), Claim)


def test_keys_of_one_conversation_share_a_cluster_hash_tag() -> None:
    keys = Keys()
    names = (
        keys.session("sms:1"),
        keys.lock("sms:1"),
        keys.version("sms:1"),
        keys.delivery("sms:1", "SM1"),
    )
    assert {k[k.index("{") : k.index("}") + 1] for k in names} == {"{sms:1}"}
    lockout = (keys.pin_attempts("id:447700900123"), keys.pin_attempts("conv:sms:447700900123"))
    assert {k[k.index("{") : k.index("}") + 1] for k in lockout} == {"{pin}"}


def test_unreadable_session_record_starts_over(store: SessionStore, any_redis) -> None:
    any_redis.set(store.keys.session("c"), b"\xff not json")
    claim = store.begin("c", None)
    assert isinstance(claim, Claim) and claim.session == Session()


def test_unreachable_redis_raises_store_unavailable() -> None:
    client = connect_redis("redis://127.0.0.1:1/0")
    with pytest.raises(StoreUnavailable):
        RedisSessionStore(client).begin("c", "d")
    with pytest.raises(StoreUnavailable):
        RedisPinLockout(client).attempt(["x"], 0)


def test_the_connection_pool_blocks_at_the_thread_count() -> None:
    client = connect_redis("redis://127.0.0.1:1/0", max_connections=3)
    pool = client.connection_pool
    assert isinstance(pool, redis.BlockingConnectionPool)
    assert pool.max_connections == 3
    assert pool.timeout <= 1.0
    assert pool.connection_kwargs["socket_timeout"] <= 1.0
    assert pool.connection_kwargs["socket_connect_timeout"] <= 1.0


IDS = ["id:447700900123", "conv:sms:447700900123"]


class TestPinLockout:
    def test_five_attempts_within_fifteen_minutes_then_refused_until_a_slot_frees(
        self, any_redis
    ) -> None:
        lockout = make_lockout(any_redis)
        for n in range(5):
            assert lockout.attempt(IDS, 1000.0 + n) is None
        assert lockout.locked_until(IDS, 1004.0) == 1000.0 + 900
        assert lockout.attempt(IDS, 1005.0) == 1000.0 + 900
        assert lockout.attempt(IDS, 1000.0 + 899) == 1000.0 + 900
        assert lockout.attempt(IDS, 1000.0 + 900) is None, "the first attempt left the window"

    def test_a_refused_attempt_is_not_counted(self, any_redis) -> None:
        lockout = make_lockout(any_redis)
        for n in range(5):
            lockout.attempt(IDS, 10.0 + n)
        for _ in range(20):
            assert lockout.attempt(IDS, 20.0) is not None
        assert lockout.attempt(IDS, 10.0 + 901) is None

    def test_one_conversation_trying_many_numbers_is_locked_too(self, any_redis) -> None:
        lockout = make_lockout(any_redis)
        allowed = [lockout.attempt([f"id:{n}", "conv:telegram:5"], 10.0) for n in range(6)]
        assert allowed == [None] * 5 + [10.0 + 900]
        assert lockout.attempt(["id:999", "conv:telegram:5"], 11.0) is not None
        assert lockout.attempt(["id:999", "conv:telegram:6"], 11.0) is None

    def test_clear_forgets_attempts(self, any_redis) -> None:
        lockout = make_lockout(any_redis)
        for n in range(5):
            lockout.attempt(["id:1"], 10.0 + n)
        lockout.clear(["id:1"])
        assert lockout.attempt(["id:1"], 20.0) is None

    def test_parallel_attempts_never_exceed_five(self, any_redis) -> None:
        lockout = make_lockout(any_redis)
        allowed: list[float | None] = []
        go = threading.Barrier(40)

        def guess() -> None:
            go.wait()
            allowed.append(lockout.attempt(IDS, 500.0))

        threads = [threading.Thread(target=guess) for _ in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert allowed.count(None) == 5


class TestOnARedisCluster:
    def test_each_node_gets_a_connection_pool_the_size_of_the_thread_count(
        self, redis_cluster_url: str
    ) -> None:
        from bot.runtime import open_redis

        client = open_redis(redis_cluster_url, threads=12, cluster=True)
        try:
            assert isinstance(client, redis.RedisCluster)
            nodes = client.get_primaries()
            assert len(nodes) == 3
            for node in nodes:
                pool = node.redis_connection.connection_pool
                assert isinstance(pool, redis.BlockingConnectionPool)
                assert pool.max_connections == 12
                assert pool.timeout <= 1.0
                assert pool.connection_kwargs["socket_timeout"] <= 1.0
                assert pool.connection_kwargs["socket_connect_timeout"] <= 1.0
        finally:
            client.close()

    def test_a_claim_whose_begin_timed_out_is_released_before_the_next_message(
        self, cluster_redis
    ) -> None:
        store = make_store(cluster_redis, wait_seconds=0.2)
        held = store.begin("sms:447700900123", "SM1")
        assert isinstance(held, Claim)
        store._orphans.append(held)  # as `begin` records it when Redis timed out
        assert isinstance(store.begin("sms:447700900123", "SM1"), Claim), "lock and claim freed"

    def test_the_health_check_reaches_the_cluster(self, cluster_redis) -> None:
        assert make_store(cluster_redis).ping()

    def test_conversations_are_spread_over_the_nodes(self, cluster_redis) -> None:
        store = make_store(cluster_redis)
        for n in range(30):
            store.save(f"sms:4477009001{n:02d}", Session(state="menu"))
        nodes = {
            cluster_redis.get_node_from_key(store.keys.session(f"sms:4477009001{n:02d}")).name
            for n in range(30)
        }
        assert len(nodes) >= 2, "every conversation landed on one node: not a cluster test"
        assert store.load("sms:447700900117").state == "menu"

    def test_a_script_touching_two_slots_is_refused_by_the_cluster(self, cluster_redis) -> None:
        """What the hash tags prevent: without a shared tag a script cannot run at all."""
        keys = keys_for(cluster_redis)
        untagged = [f"{keys.prefix}:attempts:id:1", f"{keys.prefix}:attempts:conv:sms:1"]
        assert cluster_redis.keyslot(untagged[0]) != cluster_redis.keyslot(untagged[1])
        with pytest.raises(redis.exceptions.RedisClusterException, match="same key slot"):
            cluster_redis.register_script("return 1")(keys=untagged)
