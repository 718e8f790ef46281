"""The `booking-bot` command as an operator runs it, with settings or services that cannot
work: each ends in one line naming the setting or the cause, a non-zero exit, no traceback and
no secret."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeBotApi

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456789:AAF-secret-bot-token_xyz"
AUTH_TOKEN = "twilio-auth-token-0123456789abcdef"
DB_PASSWORD = "db-password-9876"
REDIS_PASSWORD = "redis-password-5432"
SETTINGS = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_API_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "REDIS_URL",
    "DATABASE_URL",
    "TIMEZONE",
    "SESSION_TTL_SECONDS",
    "WEB_CONCURRENCY",
)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def booking_bot(tmp_path: Path, *args: str, stdin: str = "", **env: str):
    base = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    environment = {
        **base,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bookings.db'}",
        "TELEGRAM_WEBHOOK_SECRET": "a-webhook-secret",
        **env,
    }
    command = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]
    return subprocess.run(
        [*command, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=60,
    )


def assert_one_clear_line(result, *expected: str) -> str:
    assert result.returncode != 0, result
    output = (result.stdout + result.stderr).strip()
    assert "Traceback" not in output, output
    for secret in (TOKEN, AUTH_TOKEN, DB_PASSWORD, REDIS_PASSWORD, TOKEN.split(":")[1]):
        assert secret not in output, output
    # it ends in one line that says what to do (a warning logged on the way may precede it)
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("booking-bot: "), output
    for word in expected:
        assert word in last, last
    return last


@pytest.fixture(scope="module")
def bot_api():
    api = FakeBotApi().start()
    api.valid_tokens = {"42:the-right-token"}
    yield api
    api.stop()


@pytest.mark.parametrize("command", [["webhook-info"], ["set-webhook", "https://bot.example.com"]])
def test_telegram_commands_without_network(tmp_path, command):
    api = f"http://127.0.0.1:{closed_port()}"
    result = booking_bot(
        tmp_path, "telegram", *command, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api
    )
    assert_one_clear_line(result, "TELEGRAM_API_URL")


@pytest.mark.parametrize("command", [["webhook-info"], ["set-webhook", "https://bot.example.com"]])
def test_telegram_commands_with_a_bad_token(tmp_path, bot_api, command):
    result = booking_bot(
        tmp_path, "telegram", *command, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=bot_api.url
    )
    assert_one_clear_line(result, "TELEGRAM_BOT_TOKEN")


def test_twilio_configure_number_without_network(tmp_path):
    proxy = f"http://127.0.0.1:{closed_port()}"
    result = booking_bot(
        tmp_path,
        "twilio",
        "configure-number",
        "+447700900999",
        "https://bot.example.com",
        TWILIO_ACCOUNT_SID="AC" + "0" * 32,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        HTTPS_PROXY=proxy,
        https_proxy=proxy,
    )
    line = assert_one_clear_line(result, "cannot reach")
    assert "BEGIN Twilio API Request" not in result.stdout + result.stderr
    assert "Authorization" not in line


def test_demo_reset_with_an_unsupported_database_url(tmp_path):
    result = booking_bot(
        tmp_path, "demo", "reset", DATABASE_URL=f"mysql://app:{DB_PASSWORD}@127.0.0.1/bookings"
    )
    assert_one_clear_line(result, "DATABASE_URL", "mysql")


def test_demo_reset_with_an_unreachable_database(tmp_path):
    url = f"postgresql://app:{DB_PASSWORD}@127.0.0.1:{closed_port()}/bookings"
    result = booking_bot(
        tmp_path, "demo", "reset", DATABASE_URL=url, PIN_PEPPER="a-pepper-of-sixteen-chars"
    )
    assert_one_clear_line(result, "DATABASE_URL", "not reachable")


def test_shell_with_an_unreachable_redis(tmp_path):
    url = f"redis://:{REDIS_PASSWORD}@127.0.0.1:{closed_port()}/0"
    result = booking_bot(tmp_path, "shell", stdin="hi\n", REDIS_URL=url)
    assert_one_clear_line(result, "REDIS_URL", "not reachable")


@pytest.mark.parametrize(
    ("name", "value"),
    [("TIMEZONE", "Mars/Base"), ("SESSION_TTL_SECONDS", "abc"), ("WEB_CONCURRENCY", "two")],
)
def test_a_setting_that_cannot_work_is_named(tmp_path, name, value):
    result = booking_bot(tmp_path, "demo", "reset", **{name: value})
    assert_one_clear_line(result, name, value)
