"""Conversation sessions and everything the bot keeps in Redis.

One JSON record per conversation, read with the delivery claim and the conversation lock in one
Lua call and written back with the stored response and the unlock in another: two round trips per
message. Every key comes from `Keys`, and all keys of one conversation share a hash tag so the
scripts work on Redis Cluster too.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from bot.backends.protocol import Customer

log = logging.getLogger(__name__)

DRAFT_KEEP_SECONDS = 24 * 3600
"""A half-made booking is offered back for this long after the conversation went idle."""


@dataclass
class Session:
    state: str = "start"
    customer: dict[str, Any] | None = None
    identity: str | None = None
    """The phone number (or email) waiting for its PIN."""
    draft: dict[str, Any] | None = None
    listed: list[str] = field(default_factory=list)
    """Booking ids of the list shown last, so "2" or "CANCEL 2" can refer to it."""
    options: list[str] = field(default_factory=list)
    """Values of the numbered options shown last."""
    list_offset: int = 0
    """Where the page of the booking list shown last starts (MORE goes on from its end)."""
    list_next: int = 0
    data: dict[str, Any] = field(default_factory=dict)
    """Scratch space of the flow in progress (e.g. the fee a cancellation question showed)."""
    updated_at: float = 0.0

    @property
    def logged_in(self) -> bool:
        return self.customer is not None

    def get_customer(self) -> Customer:
        if self.customer is None:
            raise LookupError("not logged in")
        return Customer(**self.customer)

    def set_customer(self, customer: Customer | None) -> None:
        self.customer = asdict(customer) if customer else None

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes | None) -> Session:
        if not raw:
            return cls()
        try:
            data = json.loads(raw)
            known = {f.name for f in fields(cls)}
            return cls(**{k: v for k, v in data.items() if k in known})
        except (ValueError, TypeError):
            log.warning("unreadable session record replaced by a new session")
            return cls()


class Keys:
    """Every Redis key the bot uses. `{…}` is the cluster hash tag of one conversation."""

    def __init__(self, prefix: str = "bb") -> None:
        self.prefix = prefix

    def session(self, conversation: str) -> str:
        return f"{self.prefix}:{{{conversation}}}:session"

    def lock(self, conversation: str) -> str:
        return f"{self.prefix}:{{{conversation}}}:lock"

    def delivery(self, conversation: str, delivery_id: str) -> str:
        return f"{self.prefix}:{{{conversation}}}:delivery:{delivery_id}"

    def failures(self, identity: str) -> str:
        return f"{self.prefix}:pin-failures:{{{identity}}}"

    def locked_until(self, identity: str) -> str:
        return f"{self.prefix}:pin-locked:{{{identity}}}"


class StoreUnavailable(Exception):
    """Redis cannot be used right now; the platform should retry the delivery."""


class ConversationBusy(Exception):
    """Another worker holds this conversation's lock for longer than we can wait."""


PENDING = "\x00pending"

# KEYS: session, lock, delivery (or "" when the message has no delivery id)
# ARGV: lock token, lock ttl ms
# -> {"replay", response} | {"busy"} | {"ok", session or ""}
_BEGIN = """
if KEYS[3] ~= '' then
  local done = redis.call('GET', KEYS[3])
  if done then
    if done == ARGV[3] then return {'busy'} end
    return {'replay', done}
  end
end
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'busy'} end
if KEYS[3] ~= '' then redis.call('SET', KEYS[3], ARGV[3], 'PX', ARGV[2]) end
return {'ok', redis.call('GET', KEYS[1]) or ''}
"""

# KEYS: session, lock, delivery or ""
# ARGV: lock token, session json, session ttl s, response json, response ttl s
# -> 1 saved, 0 the lock had expired and been taken: nothing written (fencing)
_FINISH = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if ARGV[2] ~= '' then redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) end
if KEYS[3] ~= '' then redis.call('SET', KEYS[3], ARGV[4], 'EX', ARGV[5]) end
redis.call('DEL', KEYS[2])
return 1
"""

# KEYS: lock, delivery or ""; ARGV: lock token
_ABORT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  if KEYS[2] ~= '' then redis.call('DEL', KEYS[2]) end
end
return 1
"""


@dataclass
class Claim:
    """A conversation held by this worker for one message."""

    conversation: str
    delivery_id: str | None
    token: str
    session: Session
    raw_session: str


class SessionStore:
    """Sessions, conversation locks and delivery claims in Redis."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        keys: Keys | None = None,
        record_ttl_seconds: int = DRAFT_KEEP_SECONDS,
        lock_ttl_ms: int = 30_000,
        response_ttl_seconds: int = 24 * 3600,
        wait_seconds: float = 10.0,
    ) -> None:
        self.client = client
        self.keys = keys or Keys()
        self.record_ttl_seconds = record_ttl_seconds
        self.lock_ttl_ms = lock_ttl_ms
        self.response_ttl_seconds = response_ttl_seconds
        self.wait_seconds = wait_seconds
        self._begin = client.register_script(_BEGIN)
        self._finish = client.register_script(_FINISH)
        self._abort = client.register_script(_ABORT)

    def _key_triple(self, conversation: str, delivery_id: str | None) -> list[str]:
        delivery = self.keys.delivery(conversation, delivery_id) if delivery_id else ""
        return [self.keys.session(conversation), self.keys.lock(conversation), delivery]

    def begin(self, conversation: str, delivery_id: str | None) -> Claim | str:
        """Claim the delivery and lock the conversation; waits while another worker holds it.

        Returns the Claim, or the stored response (a JSON string) when this delivery was handled
        already.
        """
        token = secrets.token_hex(8)
        keys = self._key_triple(conversation, delivery_id)
        deadline = time.monotonic() + self.wait_seconds
        pause = 0.005
        while True:
            try:
                result = self._begin(keys=keys, args=[token, self.lock_ttl_ms, PENDING])
            except redis.RedisError as exc:
                raise StoreUnavailable(str(exc)) from exc
            kind = _text(result[0])
            if kind == "replay":
                return _text(result[1])
            if kind == "ok":
                raw = _text(result[1])
                return Claim(conversation, delivery_id, token, Session.from_json(raw), raw)
            if time.monotonic() >= deadline:
                raise ConversationBusy(conversation)
            time.sleep(pause)
            pause = min(pause * 2, 0.1)

    def finish(self, claim: Claim, session: Session | None, response: str) -> bool:
        """Save the session (None: leave it as it was), store the response, unlock."""
        keys = self._key_triple(claim.conversation, claim.delivery_id)
        body = session.to_json() if session is not None else ""
        try:
            saved = self._finish(
                keys=keys,
                args=[
                    claim.token,
                    body,
                    self.record_ttl_seconds,
                    response,
                    self.response_ttl_seconds,
                ],
            )
        except redis.RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc
        if not saved:
            log.warning(
                "conversation %s: lock expired before the save; not saved", claim.conversation
            )
        return bool(saved)

    def abort(self, claim: Claim) -> None:
        """Release the lock and the delivery claim without saving, so a retry runs again."""
        keys = self._key_triple(claim.conversation, claim.delivery_id)
        try:
            self._abort(keys=[keys[1], keys[2]], args=[claim.token])
        except redis.RedisError:
            log.warning(
                "conversation %s: could not release the lock; it expires", claim.conversation
            )

    def load(self, conversation: str) -> Session:
        """Read a session outside a message (tests, tools)."""
        return Session.from_json(self.client.get(self.keys.session(conversation)))

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False


class PinLockout:
    """Counts wrong PINs per identity (phone number, conversation) and locks out guessing.

    Timestamps come from the caller's clock and live in the data, so expiry is testable without
    sleeping; key TTLs only clean up.
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        keys: Keys | None = None,
        max_failures: int = 5,
        window_seconds: int = 900,
        lock_seconds: int = 900,
    ) -> None:
        self.client = client
        self.keys = keys or Keys()
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.lock_seconds = lock_seconds

    def attempt(self, identities: list[str], now: float) -> float | None:
        """Count one PIN attempt against every identity *before* it is checked.

        Returns None when this attempt may be checked, else the end of the lock-out (the
        attempt is refused without checking). A successful check then calls `clear`.
        """
        if until := self.locked_until(identities, now):
            return until
        if self.record_failure(identities, now):
            return self.locked_until(identities, now)
        return None

    def locked_until(self, identities: list[str], now: float) -> float | None:
        """The latest lock-out end among these identities, if any is still locked at `now`."""
        try:
            values = self.client.mget([self.keys.locked_until(i) for i in identities])
        except redis.RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc
        ends = [float(v) for v in values if v is not None and float(v) > now]
        return max(ends) if ends else None

    def record_failure(self, identities: list[str], now: float) -> bool:
        """Count a wrong PIN against each identity; True when this failure locked one out."""
        locked = False
        gc_ttl = self.window_seconds + self.lock_seconds
        try:
            pipe = self.client.pipeline(transaction=False)
            for identity in identities:
                key = self.keys.failures(identity)
                pipe.zremrangebyscore(key, "-inf", now - self.window_seconds)
                pipe.zadd(key, {f"{now}:{secrets.token_hex(4)}": now})
                pipe.zcard(key)
                pipe.expire(key, gc_ttl)
            results = pipe.execute()
            pipe = self.client.pipeline(transaction=False)
            for n, identity in enumerate(identities):
                if results[n * 4 + 2] >= self.max_failures:
                    locked = True
                    pipe.set(self.keys.locked_until(identity), now + self.lock_seconds, ex=gc_ttl)
                    pipe.delete(self.keys.failures(identity))
            if locked:
                pipe.execute()
        except redis.RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc
        return locked

    def clear(self, identities: list[str]) -> None:
        try:
            self.client.delete(*[self.keys.failures(i) for i in identities])
        except redis.RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def open_redis(url: str | None) -> redis.Redis:
    """A client for `url`, or an in-process store (single process only) when it is unset."""
    if url:
        # Fail fast when Redis is gone: the webhook answers 503 and the platform retries later,
        # well within Twilio's 15 s wait.
        return redis.Redis.from_url(
            url,
            socket_connect_timeout=1,
            socket_timeout=2,
            health_check_interval=30,
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=2),
        )
    import fakeredis

    log.warning(
        "REDIS_URL is not set: using an in-process store that serves this single process only"
    )
    return fakeredis.FakeRedis(server=fakeredis.FakeServer())
