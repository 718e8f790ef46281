"""Shared fixtures: real Redis and PostgreSQL servers, the in-process store, a movable clock.

Tests share the Redis database at REDIS_TEST_URL with each other and with other runs of the suite,
so each test gets its own key prefix (`real_redis.key_prefix`, which build_runtime uses) and
deletes only its own keys afterwards: never FLUSHDB.

Real servers are found at REDIS_TEST_URL (default redis://127.0.0.1:6379/15) and POSTGRES_TEST_URL
(default postgresql+psycopg://postgres@127.0.0.1:5432/test). The store tests also run on a 3-node
Redis Cluster the suite starts itself (tests/redis_cluster.py), or the one at
REDIS_CLUSTER_TEST_URL. Outside CI a missing server skips the tests that need it; in CI (CI=true)
it fails them, so a green run always means real servers ran.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta

import pytest
import redis

from bot.memory_store import MemoryKeyspace

REDIS_CLUSTER_TEST_URL = os.environ.get("REDIS_CLUSTER_TEST_URL", "")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
TEST_SECRETS_KEY = "dGVzdC1vbmx5LXNlY3JldHMta2V5LTMyLWJ5dGVzLS0="
"""A Fernet key for tests: platform tokens in sessions are sealed with it."""
POSTGRES_TEST_URL = os.environ.get(
    "POSTGRES_TEST_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _unreachable(what: str, error: Exception) -> None:
    message = f"{what} is not reachable: {error}"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


class Clock:
    """A clock tests move by hand: `clock.advance(minutes=16)`."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def real_redis_server() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        _unreachable(f"Redis at {REDIS_TEST_URL}", exc)
    return client


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix no other test (in this run or a parallel one) uses."""
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture
def real_redis(real_redis_server: redis.Redis, redis_prefix: str) -> Iterator[redis.Redis]:
    """A client of the shared test database whose runtime keys all start with its own prefix."""
    client = redis.Redis(connection_pool=real_redis_server.connection_pool)
    client.key_prefix = redis_prefix  # type: ignore[attr-defined]  # read by build_runtime
    yield client
    leftovers = list(real_redis_server.scan_iter(match=f"{redis_prefix}:*", count=500))
    if leftovers:
        real_redis_server.delete(*leftovers)


@pytest.fixture(scope="session")
def redis_cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A 3-primary Redis Cluster on 127.0.0.1 for the whole run, stopped at its end."""
    if REDIS_CLUSTER_TEST_URL:
        yield REDIS_CLUSTER_TEST_URL
        return
    from tests.redis_cluster import ClusterFailed, local_cluster

    with ExitStack() as stack:
        try:
            url = stack.enter_context(local_cluster(tmp_path_factory.mktemp("redis-cluster")))
        except (ClusterFailed, OSError, subprocess.SubprocessError) as exc:
            _unreachable("a local Redis Cluster", exc)
        yield url


@pytest.fixture
def cluster_redis(redis_cluster_url: str, redis_prefix: str) -> Iterator[redis.RedisCluster]:
    """A client of the cluster built as the app builds it (REDIS_CLUSTER=on), with its own prefix."""
    from bot.redis_store import connect_redis_cluster

    client = connect_redis_cluster(redis_cluster_url, max_connections=16)
    client.key_prefix = redis_prefix  # type: ignore[attr-defined]  # read by build_runtime
    yield client
    leftovers = list(client.scan_iter(match=f"{redis_prefix}:*", count=500))
    if leftovers:
        client.delete(*leftovers)
    client.close()


@pytest.fixture(params=["real-redis", "redis-cluster"])
def shared_redis(request: pytest.FixtureRequest) -> redis.Redis | redis.RedisCluster:
    """What several app processes share: one Redis server, or a Redis Cluster."""
    if request.param == "real-redis":
        return request.getfixturevalue("real_redis")
    return request.getfixturevalue("cluster_redis")


@pytest.fixture
def memory_redis() -> MemoryKeyspace:
    """The in-process store's keyspace (what the bot uses when REDIS_URL is unset)."""
    return MemoryKeyspace()


@pytest.fixture(params=["real-redis", "in-process"])
def any_redis(request: pytest.FixtureRequest) -> redis.Redis | MemoryKeyspace:
    """Both stores the bot runs on: a real Redis server and the embedded in-process one."""
    if request.param == "real-redis":
        return request.getfixturevalue("real_redis")
    return request.getfixturevalue("memory_redis")


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(POSTGRES_TEST_URL)
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("select 1"))
        engine.dispose()
    except Exception as exc:  # any driver error means: no server to test against
        _unreachable(f"PostgreSQL at {POSTGRES_TEST_URL}", exc)
    return POSTGRES_TEST_URL


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh schema of its own for each test, dropped afterwards."""
    import sqlalchemy

    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(postgres_server_url)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(f'create schema "{schema}"'))
    sep = "&" if "?" in postgres_server_url else "?"
    yield f"{postgres_server_url}{sep}options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(f'drop schema "{schema}" cascade'))
    engine.dispose()


@pytest.fixture
def settings():
    from bot.config import Settings

    return Settings(secrets_key=TEST_SECRETS_KEY)


@pytest.fixture
def backend(clock: Clock, settings):
    """The built-in backend on a private in-memory database, demo data loaded at `clock`'s now."""
    from bot.backends.builtin import BuiltinBackend

    backend = BuiltinBackend("sqlite://", settings=settings, clock=clock)
    yield backend
    backend.close()


@pytest.fixture
def engine(any_redis: redis.Redis | MemoryKeyspace, backend, settings, clock: Clock):
    """The engine on each store (real Redis and in-process) with the built-in backend."""
    from bot.runtime import build_runtime

    return build_runtime(settings, redis_client=any_redis, backend=backend, clock=clock).engine


@pytest.fixture
def chat(engine):
    """A factory: chat(channel="sms", phone=...) -> Chat."""
    from tests.fakes.chat import Chat

    def make(channel: str = "sms", **kwargs):
        return Chat(engine, channel=channel, **kwargs)

    return make


@pytest.fixture
def faulty(backend):
    """The built-in backend behind a wrapper that fails the calls a test chooses."""
    from tests.fakes.faulty_backend import FaultyBackend

    return FaultyBackend(backend)


@pytest.fixture
def faulty_chat(any_redis: redis.Redis | MemoryKeyspace, faulty, settings, clock: Clock):
    """A factory of chats whose engine talks to the `faulty` backend."""
    from bot.runtime import build_runtime
    from tests.fakes.chat import Chat

    engine = build_runtime(settings, redis_client=any_redis, backend=faulty, clock=clock).engine

    def make(channel: str = "sms") -> Chat:
        return Chat(engine, channel=channel)

    return make


def forget_floor_keys(client: redis.Redis) -> None:
    """The benchmark's floor app keeps one `floor:` key per chat outside any test's prefix."""
    for key in client.scan_iter("floor:*"):
        client.delete(key)
