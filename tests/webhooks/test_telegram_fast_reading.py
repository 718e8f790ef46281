"""The fast reading of an update body (msgspec) gives what the full reading gives, for real,
broken and generated updates alike; only where it reads more than the fast one can does the
full reading run."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from hypothesis import HealthCheck, given, settings

from bot.channels import telegram_fast
from bot.channels.telegram import ParsedUpdate, parse_body, parse_update
from tests.fakes.updates import (
    CHANNEL_POST,
    DOCS_CALLBACK,
    DOCS_EDITED,
    DOCS_START,
    MY_CHAT_MEMBER,
    TelegramUser,
    broken_updates,
    from_bot,
    in_group,
)
from tests.webhooks.test_fuzz import telegram_updates


def full_reading(body: Any) -> ParsedUpdate | None:
    if not isinstance(body, dict):
        return None
    return dataclasses.replace(parse_update(body), partial=False)


def fast_reading(body: Any) -> ParsedUpdate | None:
    parsed = parse_body(json.dumps(body).encode())
    return dataclasses.replace(parsed, partial=False) if parsed is not None else None


def known_updates() -> list[Any]:
    user = TelegramUser(user_id=4242)
    return [
        user.text("/bookings"),
        user.text("1234"),
        user.press("MENU"),
        user.press("opt:3"),
        user.edited("hello"),
        user.contact("+447700900123"),
        user.location(51.5, -0.12),
        user.photo(caption="hi"),
        from_bot("hi"),
        in_group("hi"),
        DOCS_START,
        DOCS_EDITED,
        DOCS_CALLBACK,
        CHANNEL_POST,
        MY_CHAT_MEMBER,
        *broken_updates(user).values(),
        [1, 2],
        "text",
    ]


def test_real_and_broken_updates_read_the_same_either_way():
    for body in known_updates():
        assert fast_reading(body) == full_reading(body), body


def test_plain_messages_and_presses_take_the_fast_reading():
    user = TelegramUser(user_id=4242)
    for body in (user.text("/bookings"), user.press("MENU"), user.edited("hi")):
        assert telegram_fast.read(json.dumps(body).encode()) is not None
    for body in (user.photo(caption="hi"), user.contact("+447700900123"), DOCS_START):
        assert telegram_fast.read(json.dumps(body).encode()) is None


def test_a_body_that_is_not_json_is_unreadable():
    assert parse_body(b"{not json") is None
    assert parse_body(b"\xff\xfe") is None
    assert parse_body(b"[" * 100_000) is None


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(telegram_updates())
def test_generated_updates_read_the_same_either_way(body):
    assert fast_reading(body) == full_reading(body)
