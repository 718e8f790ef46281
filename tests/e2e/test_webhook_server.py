"""The app as Heroku runs it: the Procfile's granian command with 2 workers, real Redis, a SQLite
database, the fake Bot API, and signed requests over real HTTP."""

from __future__ import annotations

import contextlib
import http.client
import os
import shlex
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
import redis

from bot.backends.builtin import BuiltinBackend
from bot.backends.protocol import BookingStatus
from bot.config import Settings
from bot.sessions import Keys, Session
from tests.fakes.procfile_server import (
    BOT_TOKEN,
    ROOT,
    SECRET,
    free_port,
    procfile_command,
    served_bot,
)
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.twilio import sign, sms_params
from tests.fakes.updates import TelegramUser

pytestmark = pytest.mark.e2e

DB = int(os.environ.get("REDIS_E2E_DB", "14"))  # its own database: the server flushes nothing else
ALEX, ALEX_PIN = "447700900123", "1234"
SAM, SAM_PIN = "15555550123", "987654"
BURST = 20


@dataclass
class Server:
    url: str
    database_url: str
    redis_url: str
    redis: redis.Redis
    bot_api: FakeBotApi
    http: httpx.Client

    def telegram(self, update: dict) -> httpx.Response:
        return self.http.post(
            f"{self.url}/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )

    def sms_post(self, params: dict[str, str]) -> httpx.Response:
        url = f"{self.url}/twilio/sms"
        return self.http.post(url, data=params, headers={"X-Twilio-Signature": sign(url, params)})

    def sms(self, sender: str, body: str, **kwargs) -> str:
        response = self.sms_post(sms_params(sender, body, **kwargs))
        assert response.status_code == 200, response.text
        message = ElementTree.fromstring(response.content).find("Message")
        return "" if message is None else message.text or ""

    def session(self, key: str) -> Session:
        return Session.from_json(self.redis.get(Keys().session(key)))


@pytest.fixture(scope="module")
def server(real_redis_server: redis.Redis, tmp_path_factory) -> Iterator[Server]:
    kwargs = real_redis_server.connection_pool.connection_kwargs
    redis_url = f"redis://{kwargs.get('host', '127.0.0.1')}:{kwargs.get('port', 6379)}/{DB}"
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    tmp = tmp_path_factory.mktemp("server")
    database_url = f"sqlite:///{tmp / 'bookings.db'}"
    seeding = BuiltinBackend(database_url, settings=Settings())
    seeding.reset_demo()
    seeding.close()

    settings = {"WEB_CONCURRENCY": "2", "REDIS_URL": redis_url, "DATABASE_URL": database_url}
    try:
        with served_bot(settings, tmp / "server.log") as served:
            yield Server(served.url, database_url, redis_url, client, served.bot_api, served.http)
    finally:
        client.flushdb()


def test_the_procfile_serves_the_factory_with_granian():
    words = shlex.split(procfile_command())
    assert words[0] == "granian"
    assert words[words.index("--interface") + 1] == "wsgi"
    assert "--factory" in words and "webhooks.app:create_app" in words
    assert words[words.index("--host") + 1] == "0.0.0.0"
    assert words[words.index("--port") + 1] == "$PORT"


def test_healthz(server):
    response = server.http.get(f"{server.url}/healthz")
    assert (response.status_code, response.json()) == (200, {"redis": "ok", "backend": "ok"})


def test_telegram_login_and_list(server):
    user = TelegramUser(user_id=8100, start=81)
    server.bot_api.reset()
    welcome = server.telegram(user.text("/start")).json()
    assert "Demo Cabs & Cleaning" in welcome["text"]
    assert server.telegram(user.text("+44 7700 900123")).json()["method"] == "sendMessage"

    menu = server.telegram(user.text(ALEX_PIN))
    assert menu.status_code == 200
    assert "you're logged in" in menu.json()["text"]
    [delete] = server.bot_api.methods("deleteMessage")
    assert delete.token == BOT_TOKEN
    assert delete.params == {"chat_id": user.chat_id, "message_id": user.last_message_id}

    listing = server.telegram(user.text("/bookings")).json()
    assert listing["text"].startswith("Your bookings")
    first = listing["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    details = server.telegram(user.press(first)).json()
    assert details["text"].startswith(f"Booking #{first}:")
    assert len(server.bot_api.methods("answerCallbackQuery")) == 1


def test_sms_login_and_list(server):
    assert "PIN" in server.sms(f"+{ALEX}", "hi")
    assert "you're logged in" in server.sms(f"+{ALEX}", ALEX_PIN)
    listing = server.sms(f"+{ALEX}", "BOOKINGS")
    assert listing.startswith("Your bookings")
    assert server.session(f"sms:{ALEX}").state == "bookings"


class SessionKeyMonitor:
    """Every read and write of one session key, in the order Redis executed them (MONITOR)."""

    def __init__(self, redis_url: str, key: str) -> None:
        self.redis_url = redis_url
        self.client = redis.Redis.from_url(redis_url)
        self.key = key
        self.events: list[str] = []
        self._ready = threading.Event()
        self._stop = f"stop-monitor-{id(self)}"
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SessionKeyMonitor:
        self._thread.start()
        assert self._ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.echo(self._stop)
        self._thread.join(10)
        self.client.close()

    def _run(self) -> None:
        watcher = redis.Redis.from_url(self.redis_url)
        with watcher.monitor() as monitor:
            self._ready.set()
            for entry in monitor.listen():
                words = entry["command"].split(" ", 2)
                if words[0] == "ECHO" and words[1:2] == [self._stop]:
                    return
                if entry["db"] == DB and len(words) > 1 and words[1] == self.key:
                    self.events.append(words[0].upper())
        watcher.close()


def test_twenty_concurrent_messages_of_one_chat_are_handled_one_at_a_time(server):
    """Each MORE moves the list on by one page from wherever the session was: handled one at a
    time, the pages shown are exactly those of 20 MOREs in a row, and the session was read and
    written strictly in turn. Without the conversation lock two requests would read the same
    page, show it twice and lose an update."""
    for number in (f"+{ALEX}", f"whatsapp:+{ALEX}"):
        server.sms(number, "hi")
        server.sms(number, ALEX_PIN)
        server.sms(number, "BOOKINGS")

    # the reference: 20 MOREs one after another, on WhatsApp (same paging as SMS)
    serial = [server.sms(f"whatsapp:+{ALEX}", "MORE").split("\n")[0] for _ in range(BURST)]
    assert len(set(serial)) > 1

    requests = [sms_params(f"+{ALEX}", "MORE") for _ in range(BURST)]
    start_together = threading.Barrier(BURST)

    def post(params: dict[str, str]) -> httpx.Response:
        start_together.wait(10)
        return server.sms_post(params)

    with (
        SessionKeyMonitor(server.redis_url, Keys().session(f"sms:{ALEX}")) as monitor,
        ThreadPoolExecutor(BURST) as pool,
    ):
        responses = list(pool.map(post, requests))
    assert [r.status_code for r in responses] == [200] * BURST
    shown = [
        ElementTree.fromstring(r.content).find("Message").text.split("\n")[0] for r in responses
    ]
    assert Counter(shown) == Counter(serial)
    sms_session = server.session(f"sms:{ALEX}")
    whatsapp_session = server.session(f"whatsapp:{ALEX}")
    assert sms_session.state == whatsapp_session.state == "bookings"
    assert sms_session.list_offset == whatsapp_session.list_offset
    assert sms_session.listed == whatsapp_session.listed

    reads_and_writes = [e for e in monitor.events if e in ("GET", "SET")]
    assert reads_and_writes == ["GET", "SET"] * BURST

    # every delivery was recorded: Twilio retrying any of them gets the same answer again
    with ThreadPoolExecutor(BURST) as pool:
        again = list(pool.map(server.sms_post, requests))
    assert [a.content for a in again] == [r.content for r in responses]


def late_booking(backend: BuiltinBackend, phone: str, pin: str):
    customer = backend.login(phone, pin)
    now = datetime.now(UTC)
    [late] = [
        b
        for b in backend.recent_bookings(customer)
        if b.cancellable_at(now) and b.start < now + timedelta(hours=24)
    ]
    return customer, late


def test_sms_login_list_and_late_cancellation(server):
    backend = BuiltinBackend(server.database_url, settings=Settings())
    customer, late = late_booking(backend, SAM, SAM_PIN)
    server.sms(f"+{SAM}", "hi")
    server.sms(f"+{SAM}", SAM_PIN)
    listing = server.sms(f"+{SAM}", "BOOKINGS")
    while f"#{late.id}" not in listing:
        listing = server.sms(f"+{SAM}", "MORE")
    [number] = [ln.split()[0] for ln in listing.splitlines() if f"#{late.id}" in ln]
    asked_first = server.sms(f"+{SAM}", f"CANCEL {number}")
    assert f"Cancel #{late.id}" in asked_first
    question = server.sms(f"+{SAM}", "YES")
    assert f"A late cancellation fee of £15.00 applies to booking #{late.id}" in question
    done = server.sms(f"+{SAM}", "YES")
    assert f"Booking #{late.id}" in done and "is cancelled" in done
    assert "A £15.00 late fee applies." in done
    assert backend.booking(customer, late.id).status is BookingStatus.CANCELLED
    backend.close()


def test_telegram_login_list_and_late_cancellation(server):
    backend = BuiltinBackend(server.database_url, settings=Settings())
    customer, late = late_booking(backend, ALEX, ALEX_PIN)
    user = TelegramUser(user_id=8200, start=820)
    server.bot_api.reset()
    server.telegram(user.text("/start"))
    server.telegram(user.text(f"+{ALEX}"))
    server.telegram(user.text(ALEX_PIN))
    listing = server.telegram(user.text("/bookings")).json()
    buttons = [b for row in listing["reply_markup"]["inline_keyboard"] for b in row]
    [pick] = [b["callback_data"] for b in buttons if b["callback_data"] == late.id]
    details = server.telegram(user.press(pick)).json()
    [cancel] = [
        b["callback_data"]
        for row in details["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == "Cancel it"
    ]
    asked_first = server.telegram(user.press(cancel)).json()
    assert asked_first["text"].startswith(f"Cancel #{late.id}")
    [sure] = [
        b["callback_data"]
        for row in asked_first["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"].startswith("Yes")
    ]
    question = server.telegram(user.press(sure)).json()
    assert "late cancellation fee of £15.00" in question["text"]
    [yes] = [
        b["callback_data"]
        for row in question["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"].startswith("Yes")
    ]
    done = server.telegram(user.press(yes)).json()
    assert done["method"] == "sendMessage" and "is cancelled" in done["text"]
    assert "A £15.00 late fee applies." in done["text"]
    assert backend.booking(customer, late.id).status is BookingStatus.CANCELLED
    assert len(server.bot_api.methods("answerCallbackQuery")) == 4, "every press answered"
    assert len(server.bot_api.methods("deleteMessage")) == 1, "the PIN message deleted"
    backend.close()


class SlowClients:
    """Connections that send a request's headers a byte at a time and never finish."""

    def __init__(self, url: str, count: int) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.sockets = [
            socket.create_connection((host, int(port)), timeout=5) for _ in range(count)
        ]
        for sock in self.sockets:
            sock.sendall(b"POST /telegram/webhook HTTP/1.1\r\nHost: bot\r\n")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)

    def _trickle(self) -> None:
        while not self._stop.wait(0.3):
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.sendall(b"X")

    def __enter__(self) -> SlowClients:
        self._thread.start()
        time.sleep(1)  # every one of them is being read by now
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        for sock in self.sockets:
            sock.close()


def test_forty_slow_clients_hold_up_no_customer(server):
    """Under gunicorn's gthread each slow client held a worker thread: with 40 of them a
    normal webhook waited more than 15 s. The server reads requests before handing them over."""
    user = TelegramUser(user_id=8300, start=830)
    with SlowClients(server.url, 40):
        started = time.monotonic()
        response = server.telegram(user.text("/start"))
        took = time.monotonic() - started
        assert response.status_code == 200
        assert "Welcome" in response.json()["text"]
        assert server.sms(f"+{SAM}", "MENU")  # answered, whatever the conversation's state
    assert took < 2, f"a webhook took {took:.2f} s with 40 slow clients"


def test_an_idle_kept_alive_connection_still_carries_the_next_request(server):
    """A router in front of the dyno (Heroku's Router 2.0 keeps idle connections for 90 s) sends
    the next request on a connection it kept: a server that closed it after 5 s idle made such
    a request fail whenever the close and the request crossed."""
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.request("GET", "/healthz")
        first = connection.getresponse()
        first.read()
        assert first.status == 200
        time.sleep(IDLE_BEYOND_THE_OLD_LIMIT_S)
        connection.request("GET", "/healthz")  # the same socket: http.client does not reconnect
        again = connection.getresponse()
        again.read()
        assert again.status == 200
    finally:
        connection.close()


IDLE_BEYOND_THE_OLD_LIMIT_S = 6


def chunked(size: int):
    sent = 0
    while sent < size:
        piece = min(8192, size - sent)
        sent += piece
        yield b" " * piece


def test_a_chunked_body_over_the_cap_is_413(server):
    limit = Settings().max_body_bytes
    response = server.http.post(
        f"{server.url}/telegram/webhook",
        content=chunked(limit + 1),
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    url = f"{server.url}/twilio/sms"
    response = server.http.post(
        url,
        content=chunked(limit + 1),
        headers={"X-Twilio-Signature": "x", "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413


def test_several_workers_without_redis_refuse_to_start(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "WEB_CONCURRENCY")},
        "PORT": str(free_port()),
        "WEB_CONCURRENCY": "2",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bookings.db'}",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    result = subprocess.run(
        ["bash", "-c", "exec " + procfile_command()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "REDIS_URL is not set: set REDIS_URL" in output
    assert "Traceback" not in output
