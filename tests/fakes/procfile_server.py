"""The bot as Heroku runs it (the Procfile's web command) with the settings a test gives, plus the
fake Bot API, for end-to-end tests; Telegram updates and Twilio SMS are posted to it signed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx

from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, sign, sms_params

ROOT = Path(__file__).resolve().parents[2]
BOT_TOKEN = "987654:e2e-token"
SECRET = "e2e-webhook-secret"
SECRETS_KEY = "ZTJlLWpvdXJuZXktdGVzdC1rZXktMzItYnl0ZXMtLS0="  # a test-only Fernet key


@dataclass
class ServedBot:
    url: str
    bot_api: FakeBotApi
    http: httpx.Client

    def telegram(self, update: dict) -> dict[str, Any]:
        """The reply the webhook answers with (a Bot API call's parameters)."""
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
def served_bot(
    settings: Mapping[str, str], log_path: Path, port: int | None = None
) -> Iterator[ServedBot]:
    """The Procfile's server with `settings` as its environment (over this one's, so PYTHONPATH
    is passed on and the code under test is the one served), Telegram and SMS configured.
    `port` where a platform must know the server's address before it starts."""
    bot_api = FakeBotApi().start()
    port = port or free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("WEB_CONCURRENCY", "PUBLIC_URL")},
        "PORT": str(port),
        "SECRETS_KEY": SECRETS_KEY,
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_URL": bot_api.url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        **settings,
    }
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
        wait_until_healthy(process, http, url, log_path)
        yield ServedBot(url, bot_api, http)
    finally:
        http.close()
        stop(process)
        log.close()
        bot_api.stop()


def wait_until_healthy(
    process: subprocess.Popen, http: httpx.Client, url: str, log_path: Path
) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {log_path.read_text()}")
        try:
            if http.get(f"{url}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError("the server did not become healthy")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
