"""Conversation sessions and the store interface they live behind.

One JSON record per conversation. A store claims the delivery, locks the conversation and reads
the session in one step, then saves the session with the stored response and unlocks in another:
two round trips per message on Redis. `SessionStore` and `PinLockout` are the seam: Redis in
bot/redis_store.py, an in-process one for the shell and tests in bot/memory_store.py.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Protocol

import msgspec

from bot.backends.protocol import Booking, Customer
from bot.secret_box import SecretBox, SecretUnreadable, seal, unseal

log = logging.getLogger(__name__)

DRAFT_KEEP_SECONDS = 24 * 3600
"""A half-made booking is offered back for this long after the conversation went idle."""

LOCK_TTL_MS = 3_000
"""A conversation lock left by a worker that died (or lost Redis) frees itself this soon."""

LOCK_WAIT_SECONDS = 2.0
"""How long a message waits for its conversation's lock before answering 503."""

CLAIM_TTL_MS = 12_000
"""A delivery being handled is not run again for this long: longer than a message's deadline
(bot/deadline.py), after which the first run can no longer commit anything."""

RESPONSE_TTL_SECONDS = 24 * 3600

SECRET_FIELDS = ("token", "token_secret")
"""Customer fields that are platform credentials: stored encrypted only."""


@dataclass
class KeptList:
    """The booking list read last, kept with the session so showing it again costs no backend
    call (bot/conversation/kept.py decides when it may be used)."""

    customer: str
    """The id of the customer it was read for."""
    read_at: float
    limit: int
    bookings: msgspec.Raw
    """The bookings as stored (JSON), read only when the list is shown (`booking_list`): every
    other message carries them through its session untouched, up to 25 bookings it would
    otherwise decode and encode again."""

    @classmethod
    def of(cls, customer: str, read_at: float, limit: int, bookings: list[Booking]) -> KeptList:
        return cls(customer, read_at, limit, msgspec.Raw(_ENCODER.encode(bookings)))

    def booking_list(self) -> list[Booking]:
        """Raises msgspec.DecodeError for bookings this version cannot read."""
        return _BOOKINGS.decode(self.bookings)


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
    kept_list: KeptList | None = None

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
        return _ENCODER.encode(self).decode()

    @classmethod
    def from_json(cls, raw: str | bytes | None) -> Session:
        """Typed decoding (msgspec); a record it refuses (written by an older version with other
        field types, or damaged) is read leniently field by field instead."""
        if not raw:
            return cls()
        try:
            return _DECODER.decode(raw)
        except msgspec.DecodeError:
            return cls._from_json_leniently(raw)

    @classmethod
    def _from_json_leniently(cls, raw: str | bytes) -> Session:
        try:
            data = json.loads(raw)
            known = {f.name for f in fields(cls)} - {"kept_list"}  # a cache: never worth guessing
            return cls(**{k: v for k, v in data.items() if k in known})
        except (ValueError, TypeError, AttributeError):
            log.warning("unreadable session record replaced by a new session")
            return cls()


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(Session)
_BOOKINGS = msgspec.json.Decoder(list[Booking])


class SessionCodec:
    """Session <-> stored JSON, with the customer's tokens and `data["secrets"]` sealed."""

    def __init__(self, box: SecretBox | None = None) -> None:
        self.box = box

    def encode(self, session: Session) -> str:
        customer = session.customer
        if customer and any(customer.get(name) for name in SECRET_FIELDS):
            sealed = {
                k: seal(self.box, v) if k in SECRET_FIELDS and v else v for k, v in customer.items()
            }
            session = replace(session, customer=sealed)
        hidden = session.data.get("secrets")
        if hidden:
            data = {
                **session.data,
                "secrets": {k: seal(self.box, str(v)) for k, v in hidden.items()},
            }
            session = replace(session, data=data)
        return session.to_json()

    def decode(self, raw: str | bytes | None) -> Session:
        session = Session.from_json(raw)
        try:
            if session.customer:
                for name in SECRET_FIELDS:
                    if session.customer.get(name):
                        session.customer[name] = unseal(self.box, session.customer[name])
            hidden = session.data.get("secrets")
            if isinstance(hidden, dict):
                session.data["secrets"] = {k: unseal(self.box, v) for k, v in hidden.items()}
        except (SecretUnreadable, TypeError, AttributeError):
            log.warning("session secrets unreadable (SECRETS_KEY changed?): logging out")
            return Session(draft=session.draft)
        return session


class Keys:
    """Every key the bot stores. `{…}` is the Redis Cluster hash tag.

    All keys of one conversation share its tag, so each message's scripts run on one slot. The PIN
    lock-out keys of every identity share the tag `{pin}`, so one script counts an attempt against
    the number and the conversation at once: lock-out traffic is login attempts only, so that one
    slot is never hot.
    """

    def __init__(self, prefix: str = "bb") -> None:
        self.prefix = prefix

    def session(self, conversation: str) -> str:
        return f"{self.prefix}:{{{conversation}}}:session"

    def version(self, conversation: str) -> str:
        return f"{self.prefix}:{{{conversation}}}:version"

    def lock(self, conversation: str) -> str:
        return f"{self.prefix}:{{{conversation}}}:lock"

    def delivery(self, conversation: str, delivery_id: str) -> str:
        return f"{self.prefix}:{{{conversation}}}:delivery:{delivery_id}"

    def pin_attempts(self, identity: str) -> str:
        return f"{self.prefix}:{{pin}}:attempts:{identity}"

    failures = pin_attempts
    """The older name of `pin_attempts`."""

    def pattern(self) -> str:
        """Matches every key of this prefix (for clean-up of a test's keys)."""
        return f"{self.prefix}:*"


class StoreUnavailable(Exception):
    """The store cannot be used right now; the platform should retry the delivery."""


class ConversationBusy(Exception):
    """Another worker holds this conversation's lock for longer than we can wait."""


PENDING = "\x00pending:"
"""A delivery's stored value while it is being handled (followed by the claim's token)."""


@dataclass
class Claim:
    """A conversation held by this worker for one message."""

    conversation: str
    delivery_id: str | None
    token: str
    session: Session
    raw_session: str
    version: int = 0
    """The session's version when it was read: `finish` saves only if it is still the same."""


class SessionStore(Protocol):
    """Sessions, conversation locks and delivery claims."""

    keys: Keys

    def begin(self, conversation: str, delivery_id: str | None) -> Claim | str:
        """Claim the delivery and lock the conversation, waiting up to ~2 s for the lock.

        Returns the Claim, or the stored response (a JSON string) when this delivery was handled
        already. Raises ConversationBusy, StoreUnavailable.
        """
        ...

    def finish(self, claim: Claim, session: Session | None, response: str) -> bool:
        """Store the response for replays (always), save the session (None: leave it) if nobody
        saved another version since `begin`, and unlock. False when the save was refused."""
        ...

    def abort(self, claim: Claim) -> None:
        """Release the lock and the delivery claim without saving, so a retry runs again."""
        ...

    def load(self, conversation: str) -> Session:
        """Read a session outside a message (tests, tools)."""
        ...

    def save(self, conversation: str, session: Session) -> None:
        """Write a session outside a message (tests, tools)."""
        ...

    def ping(self) -> bool: ...

    def pin_lockout(self) -> PinLockout:
        """The PIN lock-out kept in the same store."""
        ...


class PinLockout(Protocol):
    """At most `max_attempts` PIN checks per identity per window, whatever the concurrency.

    Identities are `id:<phone or email>` and `conv:<conversation key>`. Timestamps come from the
    caller's clock and live in the data, so expiry is testable without sleeping.
    """

    def attempt(self, identities: list[str], now: float) -> float | None:
        """Count one PIN attempt against every identity, atomically, *before* it is checked.

        None: this attempt may be checked. Else the end of the lock-out: the attempt is refused
        (and not counted).
        """
        ...

    def locked_until(self, identities: list[str], now: float) -> float | None:
        """When the next attempt could be checked, if it could not be now (no counting)."""
        ...

    def clear(self, identities: list[str]) -> None:
        """Forget the attempts after a successful login."""
        ...
