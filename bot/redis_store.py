"""The session store and PIN lock-out on Redis: one Lua script per step, so each is atomic.

A message costs two round trips: `begin` (delivery claim + lock + read) and `finish` (response +
fenced save + unlock). Timeouts are short so a hung Redis answers 503 within ~2 s, not after
Twilio has given up.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import deque

import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.exceptions import RedisClusterException
from redis.retry import Retry

from bot.messages import chat_hash
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
    StoreUnavailable,
)

log = logging.getLogger(__name__)

SOCKET_TIMEOUT_SECONDS = 1.0
"""Every Redis call is sub-millisecond when Redis is well; a stopped one fails in 1 s."""

POOL_WAIT_SECONDS = 1.0
"""How long a thread waits for a free connection when all are busy (e.g. Redis hung)."""

RedisClient = redis.Redis | RedisCluster
"""One Redis server, or a Redis Cluster (REDIS_CLUSTER=on): every script touches one slot."""

REDIS_ERRORS = (redis.RedisError, RedisClusterException)
"""What a store call raises when Redis cannot serve it; a cluster client that finds no node
raises the second, which is not a RedisError."""

# KEYS: session, lock, version[, delivery]
# ARGV: lock token, lock ttl ms, pending marker (PENDING + token), claim ttl ms
# -> {"replay", response} | {"busy"} | {"ok", session or "", version}
_BEGIN = """
if #KEYS == 4 then
  local done = redis.call('GET', KEYS[4])
  if done then
    if string.sub(done, 1, #ARGV[5]) == ARGV[5] then return {'busy'} end
    return {'replay', done}
  end
end
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'busy'} end
if #KEYS == 4 then redis.call('SET', KEYS[4], ARGV[3], 'PX', ARGV[4]) end
return {'ok', redis.call('GET', KEYS[1]) or '', redis.call('GET', KEYS[3]) or '0'}
"""

# KEYS: session, lock, version[, delivery]
# ARGV: lock token, version read, session json ("" = leave it), session ttl s, response,
#       response ttl s
# -> 1 saved (or nothing to save), 0 another version was saved meanwhile: session not written.
# The response is stored either way: the customer may have been told it, so a retry replays it.
_FINISH = """
local saved = 1
if ARGV[3] ~= '' then
  local current = redis.call('GET', KEYS[3]) or '0'
  if current == ARGV[2] then
    redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[4])
    redis.call('SET', KEYS[3], tostring(tonumber(current) + 1), 'EX', ARGV[4])
  else
    saved = 0
  end
end
if #KEYS == 4 then redis.call('SET', KEYS[4], ARGV[5], 'EX', ARGV[6]) end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return saved
"""

# KEYS: lock[, delivery]; ARGV: lock token, pending marker of this claim
_ABORT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
if #KEYS == 2 and redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
return 1
"""

# KEYS: the attempt sets of every identity (all tagged {pin}: one slot)
# ARGV: now, window seconds, max attempts, member
# -> nil: counted, may be checked | "<end>": refused until then, not counted
_ATTEMPT = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
local ends = nil
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= max then
    local oldest = redis.call('ZRANGE', key, -max, -max, 'WITHSCORES')
    local free = tonumber(oldest[2]) + window
    if not ends or free > ends then ends = free end
  end
end
if ends then return tostring(ends) end
if ARGV[4] == '' then return false end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('EXPIRE', key, math.ceil(window))
end
return false
"""


def _conversation_keys(keys: Keys, conversation: str, delivery_id: str | None) -> list[str]:
    names = [keys.session(conversation), keys.lock(conversation), keys.version(conversation)]
    if delivery_id:
        names.append(keys.delivery(conversation, delivery_id))
    return names


class RedisSessionStore:
    """Sessions, conversation locks and delivery claims in Redis."""

    def __init__(
        self,
        client: RedisClient,
        *,
        keys: Keys | None = None,
        secret_box: SecretBox | None = None,
        record_ttl_seconds: int = DRAFT_KEEP_SECONDS,
        lock_ttl_ms: int = LOCK_TTL_MS,
        claim_ttl_ms: int = CLAIM_TTL_MS,
        response_ttl_seconds: int = RESPONSE_TTL_SECONDS,
        wait_seconds: float = LOCK_WAIT_SECONDS,
    ) -> None:
        self.client = client
        self.keys = keys or Keys()
        self.codec = SessionCodec(secret_box)
        self.record_ttl_seconds = record_ttl_seconds
        self.lock_ttl_ms = lock_ttl_ms
        self.claim_ttl_ms = max(claim_ttl_ms, lock_ttl_ms)
        self.response_ttl_seconds = response_ttl_seconds
        self.wait_seconds = wait_seconds
        self._begin = client.register_script(_BEGIN)
        self._finish = client.register_script(_FINISH)
        self._abort = client.register_script(_ABORT)
        self._orphans: deque[Claim] = deque(maxlen=1000)
        self._orphans_lock = threading.Lock()

    def _release_orphans(self) -> None:
        """Undo claims whose `begin` timed out: a hung Redis still runs them when it resumes.

        Without this, every conversation in flight when Redis hung stays locked (and its delivery
        claimed) until the TTLs run out. This costs an extra round trip only after an outage.
        """
        with self._orphans_lock:
            orphans = list(self._orphans)
            self._orphans.clear()
        try:
            if isinstance(self.client, RedisCluster):
                # A cluster pipeline cannot load a script a node lacks: one call per claim.
                for claim in orphans:
                    self._abort_call(claim)
            else:
                pipe = self.client.pipeline(transaction=False)
                for claim in orphans:
                    self._abort_call(claim, pipe)
                pipe.execute()
        except REDIS_ERRORS as exc:
            with self._orphans_lock:
                self._orphans.extend(orphans)
            raise StoreUnavailable(str(exc)) from exc  # still hung: answer 503 now, not later

    def begin(self, conversation: str, delivery_id: str | None) -> Claim | str:
        token = secrets.token_hex(8)
        keys = _conversation_keys(self.keys, conversation, delivery_id)
        args = [token, self.lock_ttl_ms, PENDING + token, self.claim_ttl_ms, PENDING]
        deadline = time.monotonic() + self.wait_seconds
        pause = 0.005
        if self._orphans:
            self._release_orphans()
        while True:
            try:
                result = self._begin(keys=keys, args=args)
            except redis.TimeoutError as exc:
                with self._orphans_lock:
                    self._orphans.append(Claim(conversation, delivery_id, token, Session(), ""))
                raise StoreUnavailable(str(exc)) from exc
            except REDIS_ERRORS as exc:
                raise StoreUnavailable(str(exc)) from exc
            kind = _text(result[0])
            if kind == "replay":
                return _text(result[1])
            if kind == "ok":
                raw = _text(result[1])
                session = self.codec.decode(raw)
                return Claim(conversation, delivery_id, token, session, raw, int(result[2]))
            left = deadline - time.monotonic()
            if left <= 0:
                raise ConversationBusy(conversation)
            time.sleep(min(pause, left))
            pause = min(pause * 2, 0.1)

    def finish(self, claim: Claim, session: Session | None, response: str) -> bool:
        keys = _conversation_keys(self.keys, claim.conversation, claim.delivery_id)
        body = self.codec.encode(session) if session is not None else ""
        args = [
            claim.token,
            claim.version,
            body,
            self.record_ttl_seconds,
            response,
            self.response_ttl_seconds,
        ]
        try:
            saved = self._finish(keys=keys, args=args)
        except REDIS_ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc
        if not saved:
            log.warning(
                "conversation %s: changed by another message meanwhile; this step's session "
                "not saved (its answer is kept for replays)",
                chat_hash(claim.conversation),
            )
        return bool(saved)

    def _abort_call(self, claim: Claim, client: redis.client.Pipeline | None = None) -> None:
        keys = _conversation_keys(self.keys, claim.conversation, claim.delivery_id)
        self._abort(
            keys=[keys[1], *keys[3:]], args=[claim.token, PENDING + claim.token], client=client
        )

    def abort(self, claim: Claim) -> None:
        try:
            self._abort_call(claim)
        except REDIS_ERRORS:
            log.warning(
                "conversation %s: could not release the lock; it expires",
                chat_hash(claim.conversation),
            )

    def load(self, conversation: str) -> Session:
        try:
            return self.codec.decode(self.client.get(self.keys.session(conversation)))
        except REDIS_ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc

    def save(self, conversation: str, session: Session) -> None:
        pipe = self.client.pipeline(transaction=True)
        pipe.set(self.keys.session(conversation), self.codec.encode(session))
        pipe.incr(self.keys.version(conversation))
        pipe.execute()

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except REDIS_ERRORS:
            return False

    def pin_lockout(self) -> RedisPinLockout:
        return RedisPinLockout(self.client, keys=self.keys)


class RedisPinLockout:
    """A sliding window of PIN attempts per identity, counted by one script per attempt."""

    def __init__(
        self,
        client: RedisClient,
        *,
        keys: Keys | None = None,
        max_attempts: int = 5,
        window_seconds: int = 900,
    ) -> None:
        self.client = client
        self.keys = keys or Keys()
        self.max_attempts = max_attempts
        self.window_seconds = window_seconds
        self._attempt = client.register_script(_ATTEMPT)

    def _run(self, identities: list[str], now: float, member: str) -> float | None:
        keys = [self.keys.pin_attempts(i) for i in identities]
        try:
            ends = self._attempt(
                keys=keys, args=[now, self.window_seconds, self.max_attempts, member]
            )
        except REDIS_ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc
        return float(_text(ends)) if ends is not None else None

    def attempt(self, identities: list[str], now: float) -> float | None:
        return self._run(identities, now, f"{now!r}:{secrets.token_hex(6)}")

    def locked_until(self, identities: list[str], now: float) -> float | None:
        return self._run(identities, now, "")

    def clear(self, identities: list[str]) -> None:
        try:
            self.client.delete(*[self.keys.pin_attempts(i) for i in identities])
        except REDIS_ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def connect_redis(url: str, *, max_connections: int = 8) -> redis.Redis:
    """A client whose calls fail fast when Redis is gone or hung.

    A `BlockingConnectionPool` the size of the server's thread count: a thread never opens an
    extra connection, and when Redis hangs it waits at most POOL_WAIT_SECONDS for one. Only a
    refused or reset connection is retried (once, at once: a restarted Redis); a timeout is
    not, as a hung Redis would just take longer to report.
    """
    pool = redis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=POOL_WAIT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_keepalive=True,
        health_check_interval=30,
        retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
    )
    return redis.Redis.from_pool(pool)  # closing the client closes the pool


def connect_redis_cluster(url: str, *, max_connections: int = 8) -> RedisCluster:
    """A Redis Cluster client found from one node's URL, as fail-fast as `connect_redis`.

    Each node gets its own `BlockingConnectionPool` of `max_connections`: a thread uses one
    connection at a time, so the server's thread count is enough for every node. A refused
    connection or a timeout is retried once, at once, after the client re-reads the slot map
    (a failed-over primary); MOVED and ASK redirections are followed as the cluster asks.
    Raises StoreUnavailable when no node answers at start.
    """
    try:
        return RedisCluster.from_url(
            url,
            connection_pool_class=redis.BlockingConnectionPool,
            max_connections=max_connections,
            timeout=POOL_WAIT_SECONDS,
            socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            socket_keepalive=True,
            retry=Retry(NoBackoff(), 1),
        )
    except REDIS_ERRORS as exc:
        raise StoreUnavailable(f"the Redis Cluster at REDIS_URL did not answer: {exc}") from exc
