"""Which store the bot runs on: Redis when REDIS_URL is set, else the in-process one."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import redis

from bot.config import DEFAULT_WEB_THREADS, Settings, web_threads
from bot.memory_store import MemoryKeyspace, MemorySessionStore
from bot.redis_store import RedisSessionStore
from bot.runtime import build_runtime, open_redis
from bot.sessions import Claim, ConversationBusy, StoreUnavailable


def test_without_redis_url_the_in_process_store_is_used(backend, caplog) -> None:
    runtime = build_runtime(Settings(), backend=backend)
    assert isinstance(runtime.store, MemorySessionStore)
    assert "REDIS_URL is not set" in caplog.text


def test_with_redis_url_a_blocking_pool_the_size_of_the_thread_count(backend) -> None:
    client = open_redis("redis://127.0.0.1:1/0", threads=16)
    assert isinstance(client, redis.Redis)
    assert isinstance(client.connection_pool, redis.BlockingConnectionPool)
    assert client.connection_pool.max_connections == 16
    runtime = build_runtime(Settings(), redis_client=client, backend=backend)
    assert isinstance(runtime.store, RedisSessionStore)


@pytest.mark.parametrize(("value", "threads"), [(None, DEFAULT_WEB_THREADS), ("16", 16), ("0", 1)])
def test_the_thread_count_comes_from_web_threads(value, threads) -> None:
    assert web_threads({} if value is None else {"WEB_THREADS": value}) == threads


def test_a_bad_thread_count_names_the_setting() -> None:
    with pytest.raises(ValueError, match="WEB_THREADS"):
        web_threads({"WEB_THREADS": "eight"})


def test_the_bot_runs_without_fakeredis_installed() -> None:
    script = (
        "import sys; sys.modules['fakeredis'] = None\n"
        "from bot.config import Settings\n"
        "from bot.runtime import build_runtime\n"
        "from bot.messages import Incoming\n"
        "from bot.backends.builtin import BuiltinBackend\n"
        "settings = Settings()\n"
        "backend = BuiltinBackend('sqlite://', settings=settings)\n"
        "engine = build_runtime(settings, backend=backend).engine\n"
        "print(engine.handle(Incoming(channel='sms', conversation='1', text='hi',"
        " phone='447700900123'))[0].text)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "PIN" in result.stdout


def test_a_conversation_held_elsewhere_answers_busy_within_two_seconds() -> None:
    store = MemorySessionStore(MemoryKeyspace())
    held = store.begin("c", "a")
    assert isinstance(held, Claim)
    started = time.monotonic()
    with pytest.raises(ConversationBusy):
        store.begin("c", "b")
    assert time.monotonic() - started < 3.0


def test_redis_cluster_on_needs_a_node_url_of_database_zero() -> None:
    assert Settings.from_env({"REDIS_URL": "redis://h:7000", "REDIS_CLUSTER": "on"}).redis_cluster
    assert not Settings.from_env({"REDIS_URL": "redis://h:7000/3"}).redis_cluster
    with pytest.raises(ValueError, match="REDIS_CLUSTER=on needs REDIS_URL"):
        Settings.from_env({"REDIS_CLUSTER": "on"})
    with pytest.raises(ValueError, match="REDIS_URL names database '3'"):
        Settings.from_env({"REDIS_URL": "redis://h:7000/3", "REDIS_CLUSTER": "yes"})
    with pytest.raises(ValueError, match="REDIS_URL must be a redis:// or rediss://"):
        Settings.from_env({"REDIS_URL": "unix:///tmp/redis.sock", "REDIS_CLUSTER": "on"})
    with pytest.raises(ValueError, match="REDIS_CLUSTER must be on or off"):
        Settings.from_env({"REDIS_URL": "redis://h:7000", "REDIS_CLUSTER": "maybe"})


def test_a_cluster_nobody_answers_at_start_is_store_unavailable() -> None:
    with pytest.raises(StoreUnavailable, match="Redis Cluster at REDIS_URL"):
        open_redis("redis://127.0.0.1:1", threads=4, cluster=True)


def test_the_procfile_and_the_pools_agree_on_the_default_thread_count() -> None:
    from pathlib import Path

    procfile = (Path(__file__).resolve().parents[2] / "Procfile").read_text()
    assert f"--blocking-threads ${{WEB_THREADS:-{DEFAULT_WEB_THREADS}}}" in procfile
