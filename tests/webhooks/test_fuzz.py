"""Thousands of generated bodies on both webhooks: real updates and Twilio parameters with
fields missing, of the wrong type or replaced by junk. None may get a 5xx or crash the app:
a body the bot cannot use is acknowledged with 200 and a log line."""

from __future__ import annotations

import copy
import itertools
import json
import logging
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakes.twilio import new_sid, sms_params
from tests.fakes.updates import DOCS_CALLBACK, DOCS_EDITED, DOCS_START, TelegramUser

TELEGRAM_CASES = 3500
TWILIO_CASES = 1500

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=4,
)

# A customer who has typed the phone number: the next text is read at the PIN step.
PIN_STEP = TelegramUser(user_id=990001, start=990)


def _templates() -> list[dict[str, Any]]:
    user = TelegramUser(user_id=990001, start=991)
    return [
        user.text("1234"),
        user.text("/start"),
        user.text("BOOKINGS"),
        user.contact("+447700900123"),
        user.location(51.5, -0.12),
        user.photo(caption="hi"),
        user.press("BOOKINGS"),
        user.press("opt:2"),
        user.edited("1234"),
        DOCS_START,
        DOCS_EDITED,
        DOCS_CALLBACK,
    ]


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path into a JSON document."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def reach(document: Any, path: tuple) -> Any:
    """The part of `document` at `path`, or None where an earlier change removed it."""
    for key in path:
        in_list = isinstance(document, list) and isinstance(key, int) and key < len(document)
        if not (in_list or (isinstance(document, dict) and key in document)):
            return None
        document = document[key]
    return document


UPDATE_IDS = itertools.count(5_000_000)
TEMPLATES = [(template, paths(template)) for template in _templates()]


@st.composite
def telegram_updates(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 19)) == 0:
        return draw(json_values)  # not an update at all
    template, candidates = draw(st.sampled_from(TEMPLATES))
    update = copy.deepcopy(template)
    update["update_id"] = next(UPDATE_IDS)  # a new delivery, not a replay of the last one
    for path in draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=3)):
        parent = reach(update, path[:-1])
        if isinstance(parent, dict) and draw(st.booleans()):
            parent.pop(path[-1], None)
        elif isinstance(parent, dict) or (
            isinstance(parent, list) and isinstance(path[-1], int) and path[-1] < len(parent)
        ):
            parent[path[-1]] = draw(json_values)
    return update


SENDERS = [
    "+447700900123",
    "whatsapp:+447700900123",
    "+15555550123",
    "12345",
    "VERIFY",
    "+",
    "whatsapp:",
    "",
    "+447700900123\x00",
]


@st.composite
def twilio_params(draw: st.DrawFn) -> dict[str, str]:
    sender = draw(st.sampled_from(SENDERS) | st.text(max_size=16))
    params = sms_params(sender, draw(st.text(max_size=60)), sid=new_sid())
    for key in draw(st.lists(st.sampled_from(sorted(params)), max_size=3, unique=True)):
        if draw(st.booleans()):
            del params[key]
        else:
            params[key] = draw(st.text(max_size=12))
    if draw(st.booleans()):
        params["MessageStatus"] = draw(st.sampled_from(["sent", "delivered", "failed", "x"]))
    return params


@pytest.fixture
def outcomes(caplog) -> Counter:
    caplog.set_level(logging.ERROR)
    counts: Counter = Counter()
    yield counts
    crashes = [r for r in caplog.records if r.getMessage() == "unexpected error"]
    assert crashes == [], crashes[0].exc_text
    print(f"\n{sum(counts.values())} bodies: {dict(counts)}")


@pytest.mark.e2e
def test_no_generated_telegram_update_gets_a_5xx(telegram, outcomes):
    telegram.send(PIN_STEP.text("/start"))
    telegram.send(PIN_STEP.text("+44 7700 900123"))

    @settings(
        max_examples=TELEGRAM_CASES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(telegram_updates())
    def post(update: Any) -> None:
        status = telegram.post(json.dumps(update)).status_code
        outcomes[status] += 1
        assert status < 500, update

    post()
    assert sum(outcomes.values()) >= TELEGRAM_CASES
    assert outcomes[200] > 0


@pytest.mark.e2e
def test_no_generated_twilio_request_gets_a_5xx(sms, outcomes):
    @settings(
        max_examples=TWILIO_CASES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(twilio_params())
    def post(params: dict[str, str]) -> None:
        status = sms.post(params).status_code
        outcomes[status] += 1
        assert status < 500, params

    post()
    assert sum(outcomes.values()) >= TWILIO_CASES
