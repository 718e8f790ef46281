"""Wires the parts together from Settings: Redis (or the in-process store), the backend, the engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import redis

from bot.backends import make_backend
from bot.backends.protocol import BookingBackend
from bot.config import Settings
from bot.conversation.engine import Engine
from bot.sessions import PinLockout, SessionStore, open_redis


@dataclass
class Runtime:
    settings: Settings
    redis: redis.Redis
    store: SessionStore
    backend: BookingBackend
    engine: Engine

    def close(self) -> None:
        self.backend.close()
        self.redis.close()


def build_runtime(
    settings: Settings | None = None,
    *,
    redis_client: redis.Redis | None = None,
    backend: BookingBackend | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Runtime:
    settings = settings or Settings.from_env()
    client = redis_client if redis_client is not None else open_redis(settings.redis_url)
    store = SessionStore(client, record_ttl_seconds=max(settings.session_ttl_seconds, 24 * 3600))
    backend = backend or make_backend(settings, clock=clock)
    lockout = PinLockout(client, keys=store.keys)
    engine = Engine(store, backend, settings, lockout=lockout, clock=clock)
    return Runtime(settings, client, store, backend, engine)
