"""The engine around every flow: failures leave the session as it was, deliveries run once."""

from __future__ import annotations

import logging
from dataclasses import asdict

from bot.backends.protocol import BackendUnavailable
from bot.conversation.engine import BACKEND_DOWN, SORRY
from bot.conversation.states import State
from bot.messages import chat_hash


def comparable(session) -> dict:
    data = asdict(session)
    data.pop("updated_at")
    return data


def test_an_exception_in_a_flow_is_a_polite_reply_and_changes_nothing(
    faulty_chat, faulty, caplog, clock, settings
) -> None:
    sms = faulty_chat("sms")
    sms.login()
    sms.send("BOOKINGS")
    clock.advance(seconds=settings.bookings_keep_seconds)  # the list kept is read afresh
    before = comparable(sms.session)
    faulty.fail("recent_bookings", RuntimeError("a bug"), times=None)
    caplog.set_level(logging.INFO)
    answer = sms.send("MORE")  # moves the list on, then fails
    assert answer == SORRY
    assert comparable(sms.session) == before
    [logged] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert chat_hash(f"sms:{sms.conversation}") in logged.getMessage()
    assert "1234" not in "\n".join(r.getMessage() for r in caplog.records)
    faulty.heal()
    assert sms.send("MORE").startswith("Your bookings in the past"), (
        "it works once the fault is gone"
    )
    assert sms.session.state == State.BOOKINGS


def test_a_backend_outage_keeps_the_session_and_says_so(
    faulty_chat, faulty, clock, settings
) -> None:
    sms = faulty_chat("sms")
    sms.login()
    sms.send("BOOKINGS")
    clock.advance(seconds=settings.bookings_keep_seconds)  # the list kept is read afresh
    before = comparable(sms.session)
    faulty.fail("recent_bookings", BackendUnavailable("timed out"), times=None)
    assert sms.send("MORE") == BACKEND_DOWN
    assert comparable(sms.session) == before
    assert sms.session.state == State.BOOKINGS


def test_a_retried_delivery_gets_the_same_replies_and_runs_once(faulty_chat, faulty) -> None:
    sms = faulty_chat("sms")
    sms.login()
    first = sms.engine.handle(sms.incoming("BOOKINGS", delivery_id="SM-1"))
    calls = faulty.calls["recent_bookings"]
    again = [sms.engine.handle(sms.incoming("BOOKINGS", delivery_id="SM-1")) for _ in range(2)]
    assert again == [first, first]
    assert faulty.calls["recent_bookings"] == calls
