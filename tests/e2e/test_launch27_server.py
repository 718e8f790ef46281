"""The Procfile's server with BOOKING_BACKEND=launch27 against the local Launch27 server: /healthz
reads the platform's policy. The customer's whole journey is tests/e2e/test_launch27_journey.py."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis

from tests.fakes.launch27_app import BotOnLaunch27, bot_on_launch27

pytestmark = pytest.mark.e2e

DB = int(os.environ.get("REDIS_E2E_DB", "14"))


@pytest.fixture(scope="module", params=["customer", "legacy"])
def bot(request, real_redis_server: redis.Redis, tmp_path_factory) -> Iterator[BotOnLaunch27]:
    kwargs = real_redis_server.connection_pool.connection_kwargs
    redis_url = f"redis://{kwargs.get('host', '127.0.0.1')}:{kwargs.get('port', 6379)}/{DB}"
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    try:
        with bot_on_launch27(request.param, redis_url, tmp_path_factory.mktemp("l27")) as served:
            yield served
    finally:
        client.flushdb()
        client.close()


def test_health_names_the_backend_usable(bot: BotOnLaunch27) -> None:
    response = bot.http.get(f"{bot.url}/healthz")
    assert (response.status_code, response.json()) == (200, {"redis": "ok", "backend": "ok"})
    assert any(r["path"] == "/latest/policy/booking" for r in bot.fake.platform.requests)
