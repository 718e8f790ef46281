"""The `booking-bot` command as an operator runs it, in a real process on embedded defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def run_cli(args: list[str], tmp_path: Path, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "BOOKING_BACKEND")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'bookings.sqlite3'}"
    env["DEMO_DATA"] = "on"  # a DATABASE_URL of its own: demo data only when asked for
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def blocks(stdout: str) -> list[str]:
    return [b for b in stdout.strip().split("\n\n") if b.strip()]


def test_piped_sms_login_and_list_then_goodbye(tmp_path: Path) -> None:
    result = run_cli(
        ["shell", "--channel", "sms", "--phone", "447700900123"],
        tmp_path,
        "hi\n0000\n1234\nBOOKINGS\nLOGOUT\n",
    )
    assert result.returncode == 0, result.stderr
    pin_request, wrong, menu, listing, goodbye = blocks(result.stdout)
    assert "reply with your PIN" in pin_request
    assert "don't match" in wrong
    assert "Hi Alex, you're logged in." in menu and "1 My bookings" in menu
    assert listing.startswith("Your bookings, soonest first:") and "#10" in listing
    assert "Goodbye" in goodbye
    assert "in-process store" in result.stderr, "the single-process warning is shown"
    assert "1234" not in result.stderr


def test_telegram_rendering_in_the_terminal(tmp_path: Path) -> None:
    result = run_cli(["shell"], tmp_path, "/start\n447700900123\n1234\n1\n")
    assert result.returncode == 0, result.stderr
    start, pin_request, menu, listing = blocks(result.stdout)
    assert "[Share my phone number]" in start
    assert "[1 My bookings]" in menu
    assert "[1 #" in listing
    assert "PIN" in pin_request


def test_demo_reset_recreates_the_demo_data(tmp_path: Path) -> None:
    result = run_cli(["demo", "reset"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "447700900123" in result.stdout
    again = run_cli(["shell", "--channel", "sms"], tmp_path, "hi\n987654\n")
    assert "don't match" in again.stdout, "the default SMS number is Alex's, not Sam's"


def test_an_unknown_backend_is_a_clear_error(tmp_path: Path) -> None:
    env_backend = {"BOOKING_BACKEND": "nonsense"}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "shell"],
        input="",
        capture_output=True,
        text=True,
        env={**os.environ, **env_backend},
        timeout=60,
    )
    assert result.returncode == 2
    assert "BOOKING_BACKEND" in result.stderr
    assert "Traceback" not in result.stderr
