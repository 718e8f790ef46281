"""The conversation engine: one message in, replies out, with the session kept in Redis.

`Engine.handle` claims the delivery and locks the conversation (one Redis round trip), runs the
flow step for the session's state, then saves the session with the rendered replies stored for
replay and unlocks (the second round trip). A retried delivery gets the stored replies again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import NamedTuple, cast

import msgspec

from bot.backends.protocol import (
    BackendBusy,
    BackendUnavailable,
    BookingBackend,
    Customer,
    LoginExpired,
)
from bot.config import Settings
from bot.conversation import table
from bot.conversation.kept import KeptBookings
from bot.conversation.turn import Turn
from bot.deadline import deadline
from bot.memory_store import MemoryKeyspace
from bot.messages import Channel, Incoming, Reply
from bot.oauth_requests import OAuthRequests
from bot.sessions import DRAFT_KEEP_SECONDS, PinLockout, Session, SessionStore, StoreUnavailable

log = logging.getLogger(__name__)

SORRY = (
    "Sorry, something went wrong on our side. Nothing was changed; please try again, or send MENU."
)
BACKEND_DOWN = (
    "Sorry, our booking system is not answering just now. Nothing was changed and what you "
    "entered is kept: please try again in a minute."
)


class Delivered(NamedTuple):
    """What handling one delivery gave: the replies, whether they were replayed from a delivery
    handled before, and the state the conversation was left in ("-" when not known)."""

    replies: list[Reply]
    replayed: bool
    state: str = "-"


class Engine:
    def __init__(
        self,
        store: SessionStore,
        backend: BookingBackend,
        settings: Settings,
        *,
        lockout: PinLockout | None = None,
        clock: Callable[[], datetime] | None = None,
        links: OAuthRequests | None = None,
    ) -> None:
        self.store = store
        # Pending authorisation links: the runtime shares them through the session store; an
        # engine made on its own (tests, tools) keeps them in this process.
        self.links = links if links is not None else OAuthRequests(MemoryKeyspace())
        self.backend = backend
        self.settings = settings
        self.lockout = lockout if lockout is not None else store.pin_lockout()
        self.clock = clock or (lambda: datetime.now(UTC))

    def handle(self, incoming: Incoming) -> list[Reply]:
        """Answer one message. Raises StoreUnavailable / ConversationBusy: the caller retries."""
        return self.handle_delivery(incoming).replies

    def handle_delivery(self, incoming: Incoming) -> Delivered:
        """The replies, whether they are a replay of a delivery handled before, and the state.

        Raises StoreUnavailable, ConversationBusy or BackendBusy when the message could not be
        handled now: nothing was consumed, so the platform's retry runs it once.
        """
        with deadline():
            return self._handle_delivery(incoming)

    def _handle_delivery(self, incoming: Incoming) -> Delivered:
        claim = self.store.begin(incoming.key, incoming.delivery_id)
        if isinstance(claim, str):
            log.info("conversation %s: delivery %s replayed", incoming.tag, incoming.delivery_id)
            return Delivered(decode_replies(claim), replayed=True)
        session: Session | None = claim.session
        before = claim.session.to_json()
        backend = self.kept_backend(claim.session)
        try:
            replies = self.converse(claim.session, incoming, backend=backend, before=before)
        except (StoreUnavailable, BackendBusy):
            self.store.abort(claim)
            raise
        except Exception:
            log.exception("conversation %s: the step failed; session left as it was", incoming.tag)
            session, replies = None, [Reply(SORRY)]
            if backend.changed:  # a booking may have changed: the list kept must go
                session = Session.from_json(before)
                session.kept_list = None
        self.store.finish(claim, session, encode_replies(replies))
        return Delivered(replies, replayed=False, state=session.state if session else "-")

    def connect(self, conversation_key: str, customer: Customer) -> list[Reply]:
        """Log a conversation in from outside any message of its own (the customer came back
        through the OAuth callback page): the replies are what that chat is to be told.
        Raises StoreUnavailable / ConversationBusy like `handle`."""
        channel, _, conversation = conversation_key.partition(":")
        incoming = Incoming(channel=cast(Channel, channel), conversation=conversation)
        with deadline():
            claim = self.store.begin(conversation_key, None)
            assert not isinstance(claim, str)  # no delivery id: nothing to replay
            try:
                replies = self.converse(
                    claim.session, incoming, lambda turn: table.connected(turn, customer)
                )
            except Exception:
                self.store.abort(claim)
                raise
            self.store.finish(claim, claim.session, encode_replies(replies))
        return replies

    def kept_backend(self, session: Session) -> KeptBookings:
        return KeptBookings(
            self.backend, session, self.clock(), self.settings.bookings_keep_seconds
        )

    def converse(
        self,
        session: Session,
        incoming: Incoming,
        step: Callable[[Turn], list[Reply]] = table.dispatch,
        *,
        backend: KeptBookings | None = None,
        before: str | None = None,
    ) -> list[Reply]:
        """Run one step on `session` in place. No Redis here except the PIN lock-out counters.

        `before`: the session's JSON as it came, if the caller has it already."""
        now = self.clock()
        before = before if before is not None else session.to_json()
        backend = backend if backend is not None else self.kept_backend(session)
        state_before = session.state
        turn = Turn(session, incoming, backend, self.settings, now, self.lockout, links=self.links)
        expire_if_idle(turn)
        try:
            replies = step(turn)
        except BackendBusy:
            restore(session, before)
            raise
        except BackendUnavailable as exc:
            log.warning("conversation %s: backend unavailable: %s", incoming.tag, exc)
            restore(session, before)
            replies = [Reply(BACKEND_DOWN)]
        except LoginExpired:
            log.info("conversation %s: the platform ended the login", incoming.tag)
            restore(session, before)
            replies = table.log_in_again(turn)
        if backend.changed or not session.logged_in:
            session.kept_list = None
        if turn.notices and replies:
            first = replies[0]
            replies[0] = Reply(
                "\n".join([*turn.notices, first.text]),
                first.options,
                first.request_phone,
                first.delete_incoming,
            )
        if shown := table.numbers(replies):
            session.options = shown
        elif session.state != state_before:
            session.options = []  # a new question without options: numbers mean nothing now
        session.updated_at = now.timestamp()
        # at INFO the webhook's line per message names the state (Delivered.state)
        log.debug("conversation %s: %s -> %s", incoming.tag, state_before, session.state)
        return replies


def expire_if_idle(turn: Turn) -> None:
    """An idle conversation starts again logged out; a half-made booking is kept for a day."""
    session = turn.session
    if not session.updated_at:
        return
    idle = turn.now.timestamp() - session.updated_at
    if idle <= turn.settings.session_ttl_seconds:
        return
    was_logged_in = session.logged_in
    draft = session.draft if idle <= DRAFT_KEEP_SECONDS else None
    restore(session, Session(draft=draft).to_json())
    if was_logged_in:
        turn.notices.append("Your session timed out, so please log in again.")


_JSON = msgspec.json.Encoder()


def restore(session: Session, raw: str) -> None:
    session.__dict__.update(Session.from_json(raw).__dict__)


def encode_replies(replies: list[Reply]) -> str:
    return _JSON.encode([r.to_dict() for r in replies]).decode()


def decode_replies(raw: str) -> list[Reply]:
    return [Reply.from_dict(item) for item in json.loads(raw)]
