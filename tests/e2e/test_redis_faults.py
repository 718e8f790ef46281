"""A Redis that hangs (SIGSTOP) and resumes (SIGCONT), seen through the webhook app.

Runs a PRIVATE redis-server on a free port, never the shared one. Must hold: every webhook
answers 503 within 3 s while Redis is stopped (Twilio gives up at 15 s), and once it resumes
every conversation answers again within 5 s: new messages and the platform's retries of the
deliveries that were refused.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask

from bot.config import Settings
from bot.redis_store import connect_redis
from bot.runtime import build_runtime
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, sign, sms_params
from webhooks.app import create_app

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server"),
]

SMS_URL = "http://localhost/twilio/sms"
THREADS = 8
SENDERS = [f"+4477009002{n:02d}" for n in range(2 * THREADS)]
"""Twice as many conversations in flight as the server has threads (and connections)."""


class PrivateRedis:
    def __init__(self, directory: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        options = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), *options, "--dir", str(directory)],
            stdout=subprocess.DEVNULL,
        )
        probe = redis.Redis(port=self.port, socket_timeout=1)
        for _ in range(200):
            try:
                if probe.ping():
                    break
            except redis.ConnectionError:
                time.sleep(0.02)
        probe.close()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def pause(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def close(self) -> None:
        self.resume()
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    yield server
    server.close()


@pytest.fixture
def app(private_redis: PrivateRedis, backend, clock) -> Iterator[Flask]:
    settings = Settings(twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN)
    client = connect_redis(private_redis.url, max_connections=THREADS)
    runtime = build_runtime(settings, redis_client=client, backend=backend, clock=clock)
    app = create_app(settings, runtime)
    yield app
    client.close()


def post(app: Flask, params: dict[str, str]) -> tuple[int, float]:
    """Status and seconds taken of one signed SMS webhook."""
    started = time.monotonic()
    response = app.test_client().post(
        SMS_URL, data=params, headers={"X-Twilio-Signature": sign(SMS_URL, params)}
    )
    return response.status_code, time.monotonic() - started


def all_at_once(app: Flask, requests: list[dict[str, str]]) -> list[tuple[int, float]]:
    results: list[tuple[int, float]] = [(0, 0.0)] * len(requests)

    def send(n: int) -> None:
        results[n] = post(app, requests[n])

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def until_answered(app: Flask, params: dict[str, str], since: float, limit: float = 15) -> float:
    """Post `params` again and again until it is answered 200; seconds since `since`."""
    while time.monotonic() - since < limit:
        status, _ = post(app, params)
        if status == 200:
            return time.monotonic() - since
        time.sleep(0.1)
    return float("inf")


def test_a_hung_redis_answers_503_within_3_s_and_recovers_within_5_s(
    app: Flask, private_redis: PrivateRedis
) -> None:
    for sender in SENDERS:  # every conversation has a session to lose
        assert post(app, sms_params(sender, "hi"))[0] == 200

    private_redis.pause()
    try:
        refused = [sms_params(sender, "MENU") for sender in SENDERS]
        first = all_at_once(app, refused)
        time.sleep(0.5)
        second = all_at_once(app, [sms_params(sender, "HELP") for sender in SENDERS])
        started = time.monotonic()
        health = app.test_client().get("/healthz")
        health_seconds = time.monotonic() - started
    finally:
        private_redis.resume()
    resumed = time.monotonic()

    statuses = {status for status, _ in first + second}
    worst = max(seconds for _, seconds in first + second)
    print(
        f"\nstopped Redis: {len(first + second)} webhooks, statuses {statuses}, worst {worst:.2f} s"
    )
    assert statuses == {503}
    assert worst < 3.0
    assert health.status_code == 503 and health_seconds < 3.0

    retried = [until_answered(app, params, resumed) for params in refused]
    fresh = [until_answered(app, sms_params(s, "MENU"), resumed) for s in SENDERS]
    print(
        f"after SIGCONT: retries answered within {max(retried):.2f} s, new messages {max(fresh):.2f} s"
    )
    assert max(retried) < 5.0, "the platform's retries are answered again"
    assert max(fresh) < 5.0, "no conversation stays locked by a claim made while Redis hung"
