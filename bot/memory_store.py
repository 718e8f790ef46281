"""The in-process store: the same interface as the Redis one, for the shell and tests.

It serves one process only (each gunicorn worker would have its own sessions), so it is used
when REDIS_URL is unset. Everything lives in a `MemoryKeyspace` under one threading lock; the
key names are the ones `Keys` gives Redis, and the keyspace answers the few inspection calls
tests and tools make on either store (get, set, delete, keys, zcard).
"""

from __future__ import annotations

import fnmatch
import secrets
import threading
import time
from collections.abc import Iterator
from typing import Any

from bot.secret_box import SecretBox
from bot.sessions import (
    CLAIM_TTL_MS,
    DRAFT_KEEP_SECONDS,
    LOCK_TTL_MS,
    LOCK_WAIT_SECONDS,
    PENDING,
    RESPONSE_TTL_SECONDS,
    Claim,
    ConversationBusy,
    Keys,
    Session,
    SessionCodec,
)


class MemoryKeyspace:
    """Keys with values and expiry times, guarded by one lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._values: dict[str, tuple[Any, float | None]] = {}
        self._writes = 0
        self.changed = threading.Condition(self.lock)
        """Notified whenever a conversation is unlocked, so waiters need not poll."""

    # The store's own calls (hold `lock` around a group of them).
    def read(self, key: str) -> Any:
        entry = self._values.get(key)
        if entry is None:
            return None
        value, expires = entry
        if expires is not None and expires <= time.monotonic():
            del self._values[key]
            return None
        return value

    def write(self, key: str, value: Any, ttl_seconds: float | None = None) -> None:
        now = time.monotonic()
        self._values[key] = (value, now + ttl_seconds if ttl_seconds is not None else None)
        self._writes += 1
        if self._writes % 1000 == 0:  # forget what expired unread, now and then
            for name, (_, expires) in list(self._values.items()):
                if expires is not None and expires <= now:
                    del self._values[name]

    def remove(self, *keys: str) -> int:
        return sum(self._values.pop(k, None) is not None for k in keys)

    # Inspection, named like the Redis commands.
    def get(self, key: str) -> bytes | None:
        with self.lock:
            value = self.read(key)
        if value is None:
            return None
        return value.encode() if isinstance(value, str) else str(value).encode()

    def set(self, key: str, value: str | bytes, *, px: int | None = None, ex: int | None = None):
        text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
        ttl = px / 1000 if px is not None else ex
        with self.lock:
            self.write(key, text, ttl)
        return True

    def delete(self, *keys: str) -> int:
        with self.changed:
            removed = self.remove(*keys)
            self.changed.notify_all()
        return removed

    def keys(self, pattern: str = "*") -> list[str]:
        with self.lock:
            live = [k for k in list(self._values) if self.read(k) is not None]
        return [k for k in live if fnmatch.fnmatchcase(k, pattern)]

    def scan_iter(self, match: str = "*") -> Iterator[str]:
        yield from self.keys(match)

    def dump(self, key: str) -> bytes | None:
        with self.lock:
            value = self.read(key)
        return None if value is None else repr(value).encode()

    def pttl(self, key: str) -> int:
        """Milliseconds left, -1 without expiry, -2 when missing (as Redis answers)."""
        with self.lock:
            if self.read(key) is None:
                return -2
            expires = self._values[key][1]
        return -1 if expires is None else int((expires - time.monotonic()) * 1000)

    def zcard(self, key: str) -> int:
        with self.lock:
            return len(self.read(key) or ())

    def flushall(self) -> bool:
        with self.lock:
            self._values.clear()
        return True

    def ping(self) -> bool:
        return True

    def close(self) -> None:
        pass


class MemorySessionStore:
    def __init__(
        self,
        space: MemoryKeyspace,
        *,
        keys: Keys | None = None,
        secret_box: SecretBox | None = None,
        record_ttl_seconds: int = DRAFT_KEEP_SECONDS,
        lock_ttl_ms: int = LOCK_TTL_MS,
        claim_ttl_ms: int = CLAIM_TTL_MS,
        response_ttl_seconds: int = RESPONSE_TTL_SECONDS,
        wait_seconds: float = LOCK_WAIT_SECONDS,
    ) -> None:
        self.client = space
        self.keys = keys or Keys()
        self.codec = SessionCodec(secret_box)
        self.record_ttl_seconds = record_ttl_seconds
        self.lock_ttl_ms = lock_ttl_ms
        self.claim_ttl_ms = max(claim_ttl_ms, lock_ttl_ms)
        self.response_ttl_seconds = response_ttl_seconds
        self.wait_seconds = wait_seconds

    def begin(self, conversation: str, delivery_id: str | None) -> Claim | str:
        space, keys = self.client, self.keys
        token = secrets.token_hex(8)
        delivery = keys.delivery(conversation, delivery_id) if delivery_id else None
        deadline = time.monotonic() + self.wait_seconds
        with space.changed:
            while True:
                done = space.read(delivery) if delivery else None
                if done is not None and not done.startswith(PENDING):
                    return done
                if done is None and space.read(keys.lock(conversation)) is None:
                    space.write(keys.lock(conversation), token, self.lock_ttl_ms / 1000)
                    if delivery:
                        space.write(delivery, PENDING + token, self.claim_ttl_ms / 1000)
                    raw = space.read(keys.session(conversation)) or ""
                    version = int(space.read(keys.version(conversation)) or 0)
                    session = self.codec.decode(raw)
                    return Claim(conversation, delivery_id, token, session, raw, version)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ConversationBusy(conversation)
                # A lock that expires notifies nobody: look again at least every 50 ms.
                space.changed.wait(min(left, 0.05))

    def finish(self, claim: Claim, session: Session | None, response: str) -> bool:
        space, keys, conversation = self.client, self.keys, claim.conversation
        body = self.codec.encode(session) if session is not None else None
        saved = True
        with space.changed:
            if body is not None:
                current = int(space.read(keys.version(conversation)) or 0)
                saved = current == claim.version
                if saved:
                    space.write(keys.session(conversation), body, self.record_ttl_seconds)
                    space.write(keys.version(conversation), current + 1, self.record_ttl_seconds)
            if claim.delivery_id:
                delivery = keys.delivery(conversation, claim.delivery_id)
                space.write(delivery, response, self.response_ttl_seconds)
            self._unlock(claim)
            space.changed.notify_all()
        return saved

    def abort(self, claim: Claim) -> None:
        space = self.client
        with space.changed:
            self._unlock(claim)
            if claim.delivery_id:
                delivery = self.keys.delivery(claim.conversation, claim.delivery_id)
                if space.read(delivery) == PENDING + claim.token:
                    space.remove(delivery)
            space.changed.notify_all()

    def _unlock(self, claim: Claim) -> None:
        lock = self.keys.lock(claim.conversation)
        if self.client.read(lock) == claim.token:
            self.client.remove(lock)

    def load(self, conversation: str) -> Session:
        with self.client.lock:
            return self.codec.decode(self.client.read(self.keys.session(conversation)))

    def save(self, conversation: str, session: Session) -> None:
        space, keys = self.client, self.keys
        with space.lock:
            space.write(keys.session(conversation), self.codec.encode(session))
            version = int(space.read(keys.version(conversation)) or 0)
            space.write(keys.version(conversation), version + 1)

    def ping(self) -> bool:
        return True

    def pin_lockout(self) -> MemoryPinLockout:
        return MemoryPinLockout(self.client, keys=self.keys)


class MemoryPinLockout:
    """The sliding window of RedisPinLockout, counted under the keyspace's lock."""

    def __init__(
        self,
        space: MemoryKeyspace,
        *,
        keys: Keys | None = None,
        max_attempts: int = 5,
        window_seconds: int = 900,
    ) -> None:
        self.client = space
        self.keys = keys or Keys()
        self.max_attempts = max_attempts
        self.window_seconds = window_seconds

    def _run(self, identities: list[str], now: float, count: bool) -> float | None:
        space = self.client
        names = [self.keys.pin_attempts(i) for i in identities]
        with space.lock:
            ends: float | None = None
            for name in names:
                times = [t for t in space.read(name) or [] if t > now - self.window_seconds]
                if times:
                    space.write(name, times, self.window_seconds)
                else:
                    space.remove(name)
                if len(times) >= self.max_attempts:
                    free = sorted(times)[-self.max_attempts] + self.window_seconds
                    ends = free if ends is None else max(ends, free)
            if ends is not None or not count:
                return ends
            for name in names:
                space.write(name, [*(space.read(name) or []), now], self.window_seconds)
            return None

    def attempt(self, identities: list[str], now: float) -> float | None:
        return self._run(identities, now, count=True)

    def locked_until(self, identities: list[str], now: float) -> float | None:
        return self._run(identities, now, count=False)

    def clear(self, identities: list[str]) -> None:
        with self.client.lock:
            self.client.remove(*[self.keys.pin_attempts(i) for i in identities])
