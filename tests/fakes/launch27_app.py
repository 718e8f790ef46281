"""The bot as Heroku runs it (the Procfile's server) with BOOKING_BACKEND=launch27 against a
local Launch27 server, plus the fake Bot API, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx

from tests.fakes.launch27_server import API_KEY, FakeLaunch27, Launch27Platform
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, sign, sms_params

ROOT = Path(__file__).resolve().parents[2]
BOT_TOKEN = "987654:L27-token"
SECRET = "l27-webhook-secret"
SECRETS_KEY = "bGF1bmNoMjctam91cm5leS10ZXN0LWtleS0zMmJ5dGU="  # a test-only Fernet key


@dataclass
class BotOnLaunch27:
    api: str
    url: str
    fake: FakeLaunch27
    bot_api: FakeBotApi
    http: httpx.Client

    def telegram(self, update: dict) -> dict[str, Any]:
        response = self.http.post(
            f"{self.url}/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        assert response.status_code == 200, response.text
        return response.json() if response.content else {}

    def sms(self, sender: str, body: str) -> str:
        url, params = f"{self.url}/twilio/sms", sms_params(sender, body)
        response = self.http.post(
            url, data=params, headers={"X-Twilio-Signature": sign(url, params)}
        )
        assert response.status_code == 200, response.text
        message = ElementTree.fromstring(response.content).find("Message")
        return "" if message is None else message.text or ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def procfile_command() -> str:
    [line] = [ln for ln in (ROOT / "Procfile").read_text().splitlines() if ln.startswith("web:")]
    return line.removeprefix("web:").strip()


@contextmanager
def bot_on_launch27(api: str, redis_url: str, logs: Path) -> Iterator[BotOnLaunch27]:
    """The Procfile's server serving the bot on Launch27's `api` (customer | legacy); PYTHONPATH is passed
    on, so the code under test is the one served."""
    fake = FakeLaunch27(Launch27Platform()).start()
    bot_api = FakeBotApi().start()
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("WEB_CONCURRENCY", "PUBLIC_URL")},
        "PORT": str(port),
        "REDIS_URL": redis_url,
        "BOOKING_BACKEND": "launch27",
        "LAUNCH27_URL": fake.url,
        "LAUNCH27_API_KEY": API_KEY,
        "LAUNCH27_API": api,
        "SECRETS_KEY": SECRETS_KEY,
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_URL": bot_api.url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    log_path = logs / f"server-{api}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        ["bash", "-c", "exec " + procfile_command()],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    http = httpx.Client(timeout=httpx.Timeout(20.0, connect=2.0))
    try:
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError(f"the server exited: {log_path.read_text()}")
            try:
                if http.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        else:
            raise RuntimeError("the server did not become healthy")
        yield BotOnLaunch27(api, url, fake, bot_api, http)
    finally:
        http.close()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        log.close()
        bot_api.stop()
        fake.stop()
