"""`booking-bot shell` against Launch27: the same conversation in the terminal, on the platform's
data (the local Launch27 server), and a missing setting named plainly."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.fakes.launch27_server import API_KEY, FakeLaunch27, Launch27Platform, seed_customer

pytestmark = pytest.mark.e2e

EMAIL, PASSWORD = "shell@example.com", "27182818"


@pytest.fixture
def fake() -> Iterator[FakeLaunch27]:
    server = FakeLaunch27(Launch27Platform()).start()
    yield server
    server.stop()


def shell(env: dict[str, str], stdin: str) -> subprocess.CompletedProcess:
    keep = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "BOOKING_BACKEND")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "shell", "--channel", "sms", "--phone", "447700900777"],
        input=stdin,
        capture_output=True,
        text=True,
        env={**keep, "BOOKING_BACKEND": "launch27", **env},
        timeout=60,
    )


@pytest.mark.parametrize("api", ["customer", "legacy"])
def test_the_shell_lists_and_cancels_on_launch27(fake: FakeLaunch27, api: str) -> None:
    seeded = seed_customer(fake.platform, EMAIL, PASSWORD, "Jamie", "Shell")
    env = {"LAUNCH27_URL": fake.url, "LAUNCH27_API": api, "LAUNCH27_API_KEY": API_KEY}
    result = shell(env, f"hi\n{EMAIL}\n{PASSWORD}\nBOOKINGS\nCANCEL {seeded.plain}\nYES\n")
    assert result.returncode == 0, result.stderr
    blocks = [b for b in result.stdout.strip().split("\n\n") if b.strip()]
    assert "email address" in blocks[0]
    assert "Hi Jamie, you're logged in." in blocks[2]
    assert f"#{seeded.late}" in blocks[3] and "Standard clean" in blocks[3]
    assert f"Cancel #{seeded.plain}" in blocks[4]
    assert f"Booking #{seeded.plain}" in blocks[5] and "is cancelled" in blocks[5]
    assert not fake.platform.bookings[seeded.plain].active
    assert PASSWORD not in result.stderr


def test_a_missing_launch27_url_is_named(fake: FakeLaunch27) -> None:
    result = shell({"LAUNCH27_URL": ""}, "")
    assert result.returncode == 2
    assert "LAUNCH27_URL" in result.stderr and "Traceback" not in result.stderr
