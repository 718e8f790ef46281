"""PIN guesses fired in parallel: at most 5 PIN checks per number per 15 minutes, on real Redis
and on a Redis Cluster.

Each guess comes from its own chat (so the conversation lock does not serialise them), all for
the demo number, through the engine and the built-in backend; a wrapper counts the checks.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator

import pytest
import redis

from bot.backends.protocol import Customer, InvalidCredentials
from bot.conversation.engine import Engine
from bot.messages import Incoming
from bot.runtime import build_runtime
from bot.sessions import Session
from tests.fakes.chat import DEMO_PHONE, DEMO_PIN

GUESSES = 40
ROUNDS = 10
WRONG_PIN = "0000"


class CountingBackend:
    """The built-in backend, with every PIN check recorded in order."""

    def __init__(self, backend) -> None:
        self.backend = backend
        self.lock = threading.Lock()
        self.checks: list[tuple[str, bool]] = []

    def login(self, identifier: str, secret: str, one_time_code: str | None = None) -> Customer:
        try:
            customer = self.backend.login(identifier, secret)
        except InvalidCredentials:
            with self.lock:
                self.checks.append((secret, False))
            raise
        with self.lock:
            self.checks.append((secret, True))
        return customer

    def __getattr__(self, name: str):
        return getattr(self.backend, name)


@pytest.fixture
def counting(backend) -> CountingBackend:
    return CountingBackend(backend)


@pytest.fixture
def engine(shared_redis: redis.Redis, counting, settings, clock) -> Iterator[Engine]:
    """The engine on one Redis server, then on a Redis Cluster."""
    yield build_runtime(settings, redis_client=shared_redis, backend=counting, clock=clock).engine


def waiting_for_pin(engine: Engine, chat: str) -> Incoming:
    """A Telegram chat that has typed the demo number and is asked for the PIN."""
    incoming = Incoming(channel="telegram", conversation=chat, text="")
    engine.store.save(incoming.key, Session(state="ask_pin", identity=DEMO_PHONE))
    return incoming


def fire(engine: Engine, chats: list[str], pins: list[str]) -> list[str]:
    """Send one PIN from each chat, all at once; the answers in chat order."""
    answers = [""] * len(chats)
    start = threading.Barrier(len(chats))

    def guess(n: int) -> None:
        incoming = Incoming(
            channel="telegram", conversation=chats[n], text=pins[n], delivery_id=f"u{n}"
        )
        start.wait()
        answers[n] = " ".join(r.text for r in engine.handle(incoming))

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(len(chats))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return answers


def test_forty_parallel_guesses_get_at_most_five_checks(engine, counting, clock) -> None:
    rng = random.Random(13)
    seen: list[int] = []
    for round_ in range(ROUNDS):
        counting.checks.clear()
        chats = [f"r{round_}c{n}" for n in range(GUESSES)]
        for chat in chats:
            waiting_for_pin(engine, chat)
        pins = [DEMO_PIN if rng.random() < 0.2 else WRONG_PIN for _ in chats]
        answers = fire(engine, chats, pins)
        seen.append(len(counting.checks))
        assert len(counting.checks) <= 5, counting.checks
        first_right = next((n for n, (_, ok) in enumerate(counting.checks) if ok), None)
        if first_right is None:
            assert not any("logged in" in a for a in answers)
        else:
            assert first_right < 5, "the right PIN got in after five wrong ones"
        refused = sum("Too many wrong PINs" in a for a in answers)
        assert refused >= GUESSES - 5, "every guess beyond five is told the login is paused"
        clock.advance(minutes=15, seconds=1)  # the next round starts with a fresh window
    print(f"PIN checks seen per round of {GUESSES} parallel guesses: {seen}")
    assert max(seen) <= 5


def test_five_wrong_guesses_in_parallel_shut_out_the_right_pin_for_fifteen_minutes(
    engine, counting, clock
) -> None:
    wrong = [f"w{n}" for n in range(GUESSES)]
    for chat in wrong:
        waiting_for_pin(engine, chat)
    answers = fire(engine, wrong, [WRONG_PIN] * GUESSES)
    assert len(counting.checks) == 5
    assert sum("Too many wrong PINs" in a for a in answers) >= GUESSES - 5

    right = waiting_for_pin(engine, "owner")
    late = Incoming(channel="telegram", conversation="owner", text=DEMO_PIN, delivery_id="o1")
    assert "Too many wrong PINs" in engine.handle(late)[0].text
    assert len(counting.checks) == 5, "refused without checking the PIN"

    clock.advance(minutes=14, seconds=59)
    again = Incoming(channel="telegram", conversation="owner", text=DEMO_PIN, delivery_id="o2")
    assert "Too many wrong PINs" in engine.handle(again)[0].text

    clock.advance(seconds=2)  # fifteen minutes after the guesses
    after = Incoming(channel="telegram", conversation="owner", text=DEMO_PIN, delivery_id="o3")
    assert "you're logged in" in engine.handle(after)[0].text
    assert engine.store.load(right.key).logged_in
