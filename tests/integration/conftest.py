"""The store's integration tests run on every store the bot supports, a Redis Cluster included."""

from __future__ import annotations

import pytest
import redis

from bot.memory_store import MemoryKeyspace


@pytest.fixture(params=["real-redis", "redis-cluster", "in-process"])
def any_redis(request: pytest.FixtureRequest) -> redis.Redis | redis.RedisCluster | MemoryKeyspace:
    """A real Redis server, a 3-node Redis Cluster and the embedded in-process store."""
    names = {"real-redis": "real_redis", "redis-cluster": "cluster_redis"}
    return request.getfixturevalue(names.get(request.param, "memory_redis"))
