"""The per-message Redis budget: two round trips once logged in (claim+lock+read, save+unlock).

Every test has its own key prefix (tests/conftest.py), so two runs of the suite on one database
(CI twice in parallel) neither flush nor count each other.
"""

from __future__ import annotations

import pytest
import redis

from bot.runtime import build_runtime
from tests.fakes.chat import Chat


class RoundTrips:
    def __init__(self, client: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = client.execute_command

        def counted(*args, **kwargs):
            self.count += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(client, "execute_command", counted)
        original_pipeline = client.pipeline

        def pipeline(*args, **kwargs):
            pipe = original_pipeline(*args, **kwargs)
            execute = pipe.execute

            def counted_execute(*a, **k):
                self.count += 1
                return execute(*a, **k)

            pipe.execute = counted_execute
            return pipe

        monkeypatch.setattr(client, "pipeline", pipeline)


@pytest.mark.parametrize("words", [["BOOKINGS"], ["BOOKINGS", "MORE", "2"], ["MENU", "HELP"]])
def test_two_round_trips_per_message_after_login(
    shared_redis: redis.Redis,
    backend,
    settings,
    clock,
    monkeypatch: pytest.MonkeyPatch,
    words: list[str],
) -> None:
    engine = build_runtime(settings, redis_client=shared_redis, backend=backend, clock=clock).engine
    chat = Chat(engine, channel="sms")
    chat.login()
    chat.send("MENU")  # scripts are loaded by now
    trips = RoundTrips(shared_redis, monkeypatch)
    for n, word in enumerate(words):
        engine.handle(chat.incoming(word, delivery_id=f"SM{n}"))
    assert trips.count == 2 * len(words)


def test_suites_sharing_one_database_do_not_see_each_others_conversations(
    real_redis: redis.Redis, real_redis_server: redis.Redis, backend, settings, clock
) -> None:
    """Each test's keys carry its own prefix, so parallel runs on one database cannot collide."""
    mine = build_runtime(settings, redis_client=real_redis, backend=backend, clock=clock).engine
    other_client = redis.Redis(connection_pool=real_redis_server.connection_pool)
    other_client.key_prefix = f"{real_redis.key_prefix}-other"  # type: ignore[attr-defined]
    other = build_runtime(settings, redis_client=other_client, backend=backend, clock=clock).engine
    Chat(mine, channel="sms").login()
    assert Chat(mine, channel="sms").session.logged_in
    assert not Chat(other, channel="sms").session.logged_in
    assert "PIN" in Chat(other, channel="sms").send("BOOKINGS")
    leftovers = list(real_redis_server.scan_iter(match=f"{other_client.key_prefix}:*"))
    real_redis_server.delete(*leftovers)
