"""Wires the parts together from Settings: the store (Redis or in-process), the backend, the engine."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import Fernet

from bot.backends import make_backend
from bot.backends.protocol import BookingBackend
from bot.config import Settings, web_threads
from bot.conversation.engine import Engine
from bot.memory_store import MemoryKeyspace, MemorySessionStore
from bot.oauth_requests import OAuthRequests
from bot.redis_store import (
    RedisClient,
    RedisSessionStore,
    connect_redis,
    connect_redis_cluster,
)
from bot.secret_box import SecretBox
from bot.sessions import DRAFT_KEEP_SECONDS, Keys, SessionStore

log = logging.getLogger(__name__)

StoreClient = RedisClient | MemoryKeyspace
"""Where a runtime keeps its sessions: a Redis client, or the in-process keyspace."""


@dataclass
class Runtime:
    settings: Settings
    redis: StoreClient
    store: SessionStore
    backend: BookingBackend
    engine: Engine
    links: OAuthRequests
    """Authorisation links waiting for customers (car2go), in the same store as the sessions."""

    def close(self) -> None:
        self.backend.close()
        self.redis.close()


def open_redis(
    url: str | None, *, threads: int | None = None, cluster: bool = False
) -> StoreClient:
    """A Redis client for `url` (a Redis Cluster's when `cluster`), or the in-process keyspace
    (single process only) when unset. Its pools hold one connection per server thread."""
    if url:
        connect = connect_redis_cluster if cluster else connect_redis
        return connect(url, max_connections=threads or web_threads())
    log.warning(
        "REDIS_URL is not set: using an in-process store that serves this single process only"
    )
    return MemoryKeyspace()


def keys_for(client: StoreClient) -> Keys:
    """The key layout: "bb:…", or the prefix a client was given (tests sharing one database)."""
    return Keys(getattr(client, "key_prefix", None) or "bb")


def build_runtime(
    settings: Settings | None = None,
    *,
    redis_client: StoreClient | None = None,
    keys: Keys | None = None,
    backend: BookingBackend | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Runtime:
    settings = settings or Settings.from_env()
    client = (
        redis_client
        if redis_client is not None
        else open_redis(settings.redis_url, cluster=settings.redis_cluster)
    )
    box = SecretBox.from_setting(settings.secrets_key)
    if box is None and isinstance(client, MemoryKeyspace):
        # Sessions in this process's memory die with it, and so may their key: platform tokens
        # are still sealed, with a key nobody else ever sees.
        box = SecretBox(Fernet.generate_key().decode())
    backend = backend or make_backend(settings, clock=clock)
    if box is None and backend.name != "builtin":
        backend.close()
        raise ValueError(
            f"SECRETS_KEY is required with BOOKING_BACKEND={backend.name}: platform tokens are "
            "kept in Redis encrypted with it (a Fernet key; comma-separated keys rotate)"
        )
    keys = keys or keys_for(client)
    options = {
        "keys": keys,
        "secret_box": box,
        "record_ttl_seconds": max(settings.session_ttl_seconds, DRAFT_KEEP_SECONDS),
    }
    store: SessionStore
    if isinstance(client, MemoryKeyspace):
        store = MemorySessionStore(client, **options)
    else:
        store = RedisSessionStore(client, **options)
    links = OAuthRequests(client, cipher=box.cipher if box else None, prefix=keys.prefix)
    engine = Engine(store, backend, settings, lockout=store.pin_lockout(), clock=clock, links=links)
    return Runtime(settings, client, store, backend, engine, links)
