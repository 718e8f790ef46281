"""Random conversations: nothing escapes as a crash, and nobody is logged in without the PIN."""

from __future__ import annotations

import itertools
import logging
from datetime import UTC, datetime

import fakeredis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.backends.builtin import BuiltinBackend
from bot.config import Settings
from bot.conversation.engine import SORRY
from bot.messages import Incoming
from bot.runtime import build_runtime
from tests.conftest import Clock

WORDS = [
    "hi", "1234", "0000", "987654", "447700900123", "+1 555 555 0123", "MENU", "HELP", "LOGOUT",
    "BOOKINGS", "MORE", "BOOK", "CANCEL", "CANCEL 2", "CANCEL #1002", "TRACK", "TRACK 1", "YES",
    "NO", "EDIT", "SKIP", "1", "2", "3", "4", "7", "99", "tomorrow 10am", "fri 10:30",
    "yesterday 9am", "12 High St, London E1 6AN", "standard clean tomorrow 10am at 1 Elm Rd, Leeds",
    "deep clean", "airport transfer", "Heathrow T5", "/start", "/book", "/cancel", "", "🙂",
    "x" * 1200,
]  # fmt: skip

message = st.one_of(
    st.sampled_from(WORDS).map(lambda text: {"text": text}),
    st.text(max_size=40).map(lambda text: {"text": text}),
    st.sampled_from(["MENU", "YES", "BOOKINGS", "1002", "CANCEL #1003", "junk"]).map(
        lambda value: {"button": value}
    ),
    st.just({"location": (51.5, -0.12)}),
    st.just({"has_media": True}),
)


@pytest.fixture(scope="module")
def engine():
    clock = Clock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    config = Settings()
    backend = BuiltinBackend("sqlite://", settings=config, clock=clock)
    client = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    yield build_runtime(config, redis_client=client, backend=backend, clock=clock).engine
    backend.close()


conversations = itertools.count()


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    channel=st.sampled_from(["sms", "telegram"]),
    script=st.lists(message, min_size=1, max_size=14),
)
def test_random_conversations_never_crash_and_never_log_in_without_the_pin(
    engine, caplog, channel: str, script: list[dict]
) -> None:
    caplog.set_level(logging.ERROR)
    caplog.clear()
    engine.store.client.flushall()  # PIN lock-outs from earlier examples would hide the flows
    conversation = f"p{next(conversations)}"
    phone = "447700900123" if channel == "sms" else None
    right_pin_sent = False
    for fields in script:
        incoming = Incoming(channel=channel, conversation=conversation, phone=phone, **fields)
        replies = engine.handle(incoming)
        opted_out = engine.store.load(incoming.key).state == "opted_out"
        assert replies or (channel == "sms" and opted_out), f"no reply to {fields}"
        assert all(SORRY not in r.text for r in replies), f"crashed on {fields}"
        right_pin_sent = right_pin_sent or fields.get("text") in ("1234", "987654")
        session = engine.store.load(incoming.key)
        if session.logged_in:
            assert right_pin_sent, "logged in without the right PIN"
        assert "1234" not in (session.identity or "")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
