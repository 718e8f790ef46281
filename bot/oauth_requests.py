"""Authorisation links waiting for the customer: request-token state in Redis.

The bot sends a car2go link in one chat; the customer comes back through the callback route
(any worker, knowing only `oauth_token`) or types the code into that chat. So each pending
request lives in Redis, keyed by its request token, bound to the conversation that asked for it:

- it expires (`ttl_seconds`, 10 minutes by default; car2go's own request token lasts hours);
- taking it deletes it in the same Lua call (no replay, even with two workers at once);
- a conversation other than the one it was made for cannot take it, and does not spend it;
- a conversation has one pending link: asking again replaces the previous one.

The request secret is encrypted at rest when a cipher (Fernet/MultiFernet) is given.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Protocol

import redis

from bot.backends.protocol import (
    Authorization,
    BackendUnavailable,
    Customer,
    InvalidCredentials,
    LinkLogin,
)
from bot.redis_store import REDIS_ERRORS
from bot.sessions import StoreUnavailable

log = logging.getLogger(__name__)

TTL_SECONDS = 600

# KEYS[1]: the request's record. ARGV[1]: the conversation taking it ("" from the callback).
# Returns nil (unknown, expired or already taken), 0 (another conversation's), or
# {conversation, payload} after deleting it.
_TAKE = """
local owner = redis.call('HGET', KEYS[1], 'conversation')
if not owner then return nil end
if ARGV[1] ~= '' and owner ~= ARGV[1] then return 0 end
local payload = redis.call('HGET', KEYS[1], 'payload')
redis.call('DEL', KEYS[1])
return {owner, payload}
"""


class Cipher(Protocol):
    def encrypt(self, data: bytes) -> bytes: ...

    def decrypt(self, token: bytes) -> bytes: ...


@dataclass(frozen=True)
class PendingAuthorization:
    conversation: str
    """The conversation key ("telegram:42", "sms:+447700900123") the link was sent to."""
    authorization: Authorization
    expires_at: float
    reply_from: str | None = None
    """Where the chat's answer is sent from (SMS: the business number the customer texted)."""

    def __repr__(self) -> str:  # the request secret never shows in a log or traceback
        return f"PendingAuthorization(conversation={self.conversation!r}, <redacted>)"


class OAuthRequests:
    def __init__(
        self,
        client: redis.Redis,
        *,
        ttl_seconds: int = TTL_SECONDS,
        cipher: Cipher | None = None,
        prefix: str = "bb",
        clock=time.time,
    ) -> None:
        self.client = client
        self.ttl_seconds = ttl_seconds
        self.cipher = cipher
        self.prefix = prefix
        self.clock = clock
        # The in-process store (no REDIS_URL) has no Lua: there one lock makes taking atomic.
        self._take = client.register_script(_TAKE) if hasattr(client, "register_script") else None

    def request_key(self, request_token: str) -> str:
        return f"{self.prefix}:oauth-request:{{{request_token}}}"

    def conversation_key(self, conversation: str) -> str:
        return f"{self.prefix}:{{{conversation}}}:oauth-request"

    def save(
        self,
        conversation: str,
        authorization: Authorization,
        *,
        reply_from: str | None = None,
        ttl_seconds: float | None = None,
    ) -> PendingAuthorization:
        """Keep a link just sent to `conversation`; a link it was sent before stops working."""
        ttl = self.ttl_seconds if ttl_seconds is None else ttl_seconds
        pending = PendingAuthorization(
            conversation, authorization, self.clock() + ttl, reply_from=reply_from
        )
        payload = self._seal(
            json.dumps(
                {
                    "url": authorization.url,
                    "secret": authorization.request_secret,
                    "expires_at": pending.expires_at,
                    "reply_from": reply_from,
                }
            )
        )
        milliseconds = max(1, int(ttl * 1000))
        key = self.request_key(authorization.request_token)
        if self._take is None:
            self._save_in_process(conversation, key, authorization.request_token, payload, ttl)
            return pending
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.hset(key, mapping={"conversation": conversation, "payload": payload})
            pipe.pexpire(key, milliseconds)
            pipe.set(
                self.conversation_key(conversation),
                authorization.request_token,
                px=milliseconds,
                get=True,
            )
            earlier = pipe.execute()[-1]
            if earlier and _text(earlier) != authorization.request_token:
                self.client.delete(self.request_key(_text(earlier)))
        except REDIS_ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc
        return pending

    def take(
        self, request_token: str, conversation: str | None = None
    ) -> PendingAuthorization | None:
        """The pending request, deleted: None when unknown, expired, used, or (`conversation`
        given) made for another conversation, in which case it is left for its own."""
        if not request_token:
            return None
        key = self.request_key(request_token)
        try:
            if self._take is None:
                found = self._take_in_process(key, conversation or "")
            else:
                found = self._take(keys=[key], args=[conversation or ""])
        except REDIS_ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc
        if found == 0:
            log.warning("an authorisation link was used from another conversation: refused")
            return None
        if not found:
            return None
        owner, payload = _text(found[0]), found[1]
        try:
            data = json.loads(self._open(payload))
        except (ValueError, TypeError):
            log.error("unreadable pending authorisation dropped")
            return None
        return PendingAuthorization(
            owner,
            Authorization(data["url"], request_token, data["secret"]),
            float(data["expires_at"]),
            reply_from=data.get("reply_from"),
        )

    def take_for_conversation(self, conversation: str) -> PendingAuthorization | None:
        """The link this conversation is waiting on (the customer typed the code), deleted."""
        try:
            token = self.client.get(self.conversation_key(conversation))
        except REDIS_ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc
        return self.take(_text(token), conversation) if token else None

    def put_back(self, pending: PendingAuthorization) -> bool:
        """Keep a taken request usable again until it would have expired (a mistyped code, or
        car2go unreachable). False when its time is already up."""
        left = pending.expires_at - self.clock()
        if left <= 0:
            return False
        self.save(
            pending.conversation,
            pending.authorization,
            reply_from=pending.reply_from,
            ttl_seconds=left,
        )
        return True

    def _save_in_process(
        self, conversation: str, key: str, request_token: str, payload: str, ttl: float
    ) -> None:
        with self.client.lock:
            earlier = self.client.read(self.conversation_key(conversation))
            if earlier and earlier != request_token:
                self.client.remove(self.request_key(earlier))
            self.client.write(key, (conversation, payload), ttl)
            self.client.write(self.conversation_key(conversation), request_token, ttl)

    def _take_in_process(self, key: str, conversation: str) -> list | int | None:
        with self.client.lock:
            record = self.client.read(key)
            if record is None:
                return None
            owner, payload = record
            if conversation and owner != conversation:
                return 0
            self.client.remove(key)
            return [owner, payload]

    def _seal(self, text: str) -> str:
        if self.cipher is None:
            return text
        return self.cipher.encrypt(text.encode()).decode()

    def _open(self, payload: bytes | str) -> str:
        raw = payload.encode() if isinstance(payload, str) else payload
        if self.cipher is None:
            return raw.decode()
        return self.cipher.decrypt(raw).decode()


class NoPendingLink(LookupError):
    """The conversation has no link waiting (never sent, expired, or used): send a new one."""


def finish_with_code(
    requests: OAuthRequests, backend: LinkLogin, conversation: str, code: str
) -> Customer:
    """Connect `conversation` with the code the customer typed into it.

    Raises NoPendingLink; InvalidCredentials (a mistyped code: the link stays usable, the bot's
    own attempt limit applies); LoginExpired (the platform expired the link: send a new one);
    BackendUnavailable (the link stays usable).
    """
    pending = requests.take_for_conversation(conversation)
    if pending is None:
        raise NoPendingLink(conversation)
    try:
        return backend.finish_authorization(pending.authorization, code)
    except (InvalidCredentials, BackendUnavailable):
        requests.put_back(pending)
        raise


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
