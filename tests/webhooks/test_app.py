"""The factory, /healthz, error answers, the body cap, and what happens when Redis goes away."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from bot.runtime import build_runtime
from tests.fakes.twilio import sms_params
from tests.fakes.updates import TelegramUser
from tests.webhooks.conftest import (
    BOT_TOKEN,
    WEBHOOK_SECRET,
    SmsPoster,
    TelegramPoster,
    message_text,
)
from webhooks.app import create_app

SENDER = "+447700900123"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def quick_client(port: int) -> redis.Redis:
    """A client that gives up at once, so a dead server costs no waiting."""
    return redis.Redis(
        host="127.0.0.1",
        port=port,
        socket_connect_timeout=1,
        socket_timeout=2,
        retry=Retry(NoBackoff(), 1),
    )


class RedisServer:
    """A redis-server of the test's own, to stop and start again."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
        )
        probe = quick_client(self.port)
        for _ in range(200):
            try:
                if probe.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        """Shut down, writing the data to disk as a persistent Redis would."""
        assert self.process is not None
        with contextlib.suppress(redis.ConnectionError):  # it hangs up as it exits
            quick_client(self.port).shutdown(save=True)
        self.process.wait(timeout=10)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


class DownBackend:
    def health(self) -> bool:
        raise ConnectionError("database gone")

    def close(self) -> None:
        pass


def test_healthz_is_200_when_redis_and_backend_work(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"redis": "ok", "backend": "ok"}


def test_healthz_is_503_when_redis_is_unreachable(settings, backend, clock):
    runtime = build_runtime(
        settings, redis_client=quick_client(free_port()), backend=backend, clock=clock
    )
    response = create_app(settings, runtime).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"redis": "down", "backend": "ok"}


def test_healthz_is_503_when_the_backend_is_down(settings, runtime):
    runtime.backend = DownBackend()
    response = create_app(settings, runtime).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"redis": "ok", "backend": "down"}


def test_webhooks_answer_503_while_redis_is_unreachable(settings, backend, clock, bot_api):
    runtime = build_runtime(
        settings, redis_client=quick_client(free_port()), backend=backend, clock=clock
    )
    client = create_app(settings, runtime).test_client()
    response = TelegramPoster(client).post(TelegramUser().text("1234"))
    assert response.status_code == 503
    assert response.get_json() == {"error": "Service Unavailable", "status": 503}
    assert bot_api.calls == []
    response = SmsPoster(client).post(sms_params(SENDER, "hi"))
    assert response.status_code == 503
    assert response.headers["Retry-After"]


def test_a_delivery_refused_while_redis_was_down_succeeds_once_it_is_back(
    own_redis, settings, backend, clock
):
    runtime = build_runtime(
        settings, redis_client=quick_client(own_redis.port), backend=backend, clock=clock
    )
    client = create_app(settings, runtime).test_client()
    sms = SmsPoster(client)
    sms.send(SENDER, "hi")
    assert "logged in" in sms.send(SENDER, "1234")

    own_redis.stop()
    bookings = sms_params(SENDER, "BOOKINGS")
    assert sms.post(bookings).status_code == 503
    assert client.get("/healthz").get_json()["redis"] == "down"

    own_redis.start()
    retried = sms.post(bookings)
    assert retried.status_code == 200
    assert message_text(retried).startswith("Your bookings")  # still logged in: nothing lost
    assert sms.post(bookings).data == retried.data
    assert client.get("/healthz").status_code == 200


def test_a_body_over_the_cap_is_413(client, settings):
    big = b"x" * (settings.max_body_bytes + 1)
    response = client.post(
        "/telegram/webhook",
        data=big,
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    )
    assert response.status_code == 413
    assert response.get_json() == {"error": "Request Entity Too Large", "status": 413}
    params = sms_params(SENDER, "x" * (settings.max_body_bytes + 1))
    response = SmsPoster(client).post(params)
    assert response.status_code == 413


def test_http_errors_are_json(client):
    assert client.get("/nowhere").get_json() == {"error": "Not Found", "status": 404}
    response = client.get("/telegram/webhook")
    assert response.status_code == 405
    assert response.get_json()["status"] == 405


def test_the_factory_reads_the_environment_and_closes_what_it_opened(monkeypatch, tmp_path):
    for name in ("REDIS_URL", "PUBLIC_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bot.db'}")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("MAX_BODY_BYTES", "2048")
    app = create_app()
    assert app.config["MAX_CONTENT_LENGTH"] == 2048
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    welcome = TelegramPoster(client).send(TelegramUser().text("/start"))
    assert welcome["method"] == "sendMessage"
    assert client.post("/twilio/sms", data={"From": SENDER}).status_code == 404

    resources = app.extensions["booking_bot"]
    resources.close()
    assert resources.bot_api.closed


def test_a_conversation_held_elsewhere_for_too_long_is_503_then_retried(runtime, sms):
    runtime.store.wait_seconds = 0.05
    lock = runtime.store.keys.lock(f"sms:{SENDER[1:]}")
    runtime.store.client.set(lock, "another-worker", px=30_000)
    hello = sms_params(SENDER, "hi")
    assert sms.post(hello).status_code == 503
    runtime.store.client.delete(lock)
    assert "PIN" in message_text(sms.post(hello))


class BrokenEngine:
    def handle_delivery(self, incoming):
        raise RuntimeError("a bug")


def test_an_unexpected_error_is_acknowledged_and_logged_never_a_retried_500(
    runtime, sms, telegram, caplog
):
    """A bug would fail every retry the same way: the platform gets 200, the log the trace."""
    runtime.engine = BrokenEngine()
    response = sms.post(sms_params(SENDER, "hi"))
    assert response.status_code == 200
    assert message_text(response) == ""
    response = telegram.post(TelegramUser().text("hi"))
    assert (response.status_code, response.data) == (200, b"")
    assert caplog.text.count("unexpected error") == 2
    assert "RuntimeError: a bug" in caplog.text
