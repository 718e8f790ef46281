"""The bot as Heroku runs it (the Procfile's server) with BOOKING_BACKEND=car2go against the
local car2go, plus the fake Bot API and Twilio REST API it tells connected chats through, for
end-to-end tests."""

from __future__ import annotations

import os
import signal
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

from tests.fakes.car2go_server import CONSUMER_KEY, CONSUMER_SECRET, FakeCar2go
from tests.fakes.launch27_app import ROOT, free_port, procfile_command
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, sign, sms_params
from tests.fakes.twilio_api import FakeTwilioApi

BOT_TOKEN = "987654:C2G-token"
SECRET = "c2g-webhook-secret"
SECRETS_KEY = "Y2FyMmdvLWpvdXJuZXktdGVzdC1rZXktMzJieXRlcyE="  # a test-only Fernet key
CALLBACK_PATH = "/oauth/car2go/callback"


@dataclass
class BotOnCar2go:
    url: str
    car2go: FakeCar2go
    bot_api: FakeBotApi
    twilio: FakeTwilioApi
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

    def allow(self, authorize_url: str, user: str) -> httpx.Response:
        """The customer opens the link and allows access on car2go's page."""
        return self.http.get(f"{authorize_url}&decision=allow&user={user}")


@contextmanager
def bot_on_car2go(redis_url: str, logs: Path) -> Iterator[BotOnCar2go]:
    """The Procfile's server on car2go; PYTHONPATH is passed on, so the code under test is the
    one served. car2go sends customers back to the server's callback route."""
    car2go = FakeCar2go().start()
    bot_api = FakeBotApi().start()
    twilio = FakeTwilioApi().start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    car2go.callback_url = url + CALLBACK_PATH
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("WEB_CONCURRENCY", "PUBLIC_URL")},
        "PORT": str(port),
        "REDIS_URL": redis_url,
        "BOOKING_BACKEND": "car2go",
        "CAR2GO_URL": car2go.url,
        "CAR2GO_CONSUMER_KEY": CONSUMER_KEY,
        "CAR2GO_CONSUMER_SECRET": CONSUMER_SECRET,
        "CAR2GO_LOC": "ulm",
        "CURRENCY": "EUR",
        "TIMEZONE": "Europe/Berlin",
        "SECRETS_KEY": SECRETS_KEY,
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_URL": bot_api.url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_URL": twilio.url,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    log_path = logs / "server-car2go.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        ["bash", "-c", "exec " + procfile_command()],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
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
        yield BotOnCar2go(url, car2go, bot_api, twilio, http)
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
        twilio.stop()
        bot_api.stop()
        car2go.stop()
