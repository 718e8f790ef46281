"""`python -m benchmarks.profile_hot`: the logged-in Telegram hot path in one process, profiled.

Steadier than the served benchmark on a shared machine: no server, no load generator, one
thread. The webhook app (Flask test client) runs on a real Redis (REDIS_URL, default the local
one; every key under a private prefix, removed at the end) and a SQLite file with the demo data.
Chats log in untimed, then repeat `/bookings` → MENU. Prints CPU ms per message (the thread
running the app and its test client; the fake Bot API's threads excluded),
Redis round trips per message, Bot API calls per message, and with `--profile` the top of a
cProfile listing.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import os
import pstats
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import redis
import redis.connection

from benchmarks.bot_api import CountingBotApi
from benchmarks.journeys import SECRET_HEADER, TELEGRAM_PATH, TelegramChat
from benchmarks.seed import chat_login, create_database
from bot.config import Settings
from bot.runtime import build_runtime
from webhooks.app import create_app

SECRET = "profile-secret"


class Chat:
    """A chat posting the benchmark's own update bodies to the app's test client."""

    def __init__(self, client: Any, chat_id: int, update_ids: itertools.count[int]) -> None:
        self.client = client
        self.bodies = TelegramChat(None, None, chat_id, chat_login(0), update_ids)  # type: ignore[arg-type]

    def post(self, update: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(TELEGRAM_PATH, json=update, headers={SECRET_HEADER: SECRET})
        assert response.status_code == 200, response.status_code
        return response.get_json(silent=True) or {}

    def say(self, text: str, marker: str) -> dict[str, Any]:
        answer = self.post(self.bodies.text_update(text))
        if marker.lower() not in answer.get("text", "").lower():
            raise AssertionError(f"{text!r}: {answer.get('text')!r}")
        return answer

    def press(self, data: str) -> dict[str, Any]:
        return self.post(self.bodies.press_update(data, on_message_id=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=10)
    parser.add_argument("--loops", type=int, default=300, help="list → menu loops per chat")
    parser.add_argument("--profile", action="store_true", help="print a cProfile listing")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="tottime")
    args = parser.parse_args()
    count_round_trips()

    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    prefix = f"prof{uuid.uuid4().hex[:10]}"
    api = CountingBotApi().start()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "DATABASE_URL": f"sqlite:///{Path(tmp) / 'bookings.sqlite3'}",
            "TELEGRAM_BOT_TOKEN": "1:profile",
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_URL": api.url,
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        }
        settings = Settings.from_env(env)
        create_database(env["DATABASE_URL"], args.chats, settings)
        client = redis.Redis.from_url(redis_url)
        client.key_prefix = prefix  # type: ignore[attr-defined]  # read by build_runtime
        runtime = build_runtime(settings, redis_client=client)
        app = create_app(settings, runtime)
        http = app.test_client()
        ids = itertools.count(1)
        chats = [Chat(http, 900_000 + n, ids) for n in range(args.chats)]
        try:
            for n, chat in enumerate(chats):
                login = chat_login(n)
                chat.say("/start", "phone number")
                chat.say(f"+{login.phone}", "PIN")
                chat.say(login.pin, "logged in")
            for chat in chats:  # warm up
                chat.say("/bookings", "bookings")
                chat.press("MENU")
            stats_before = commands(client)
            calls_before = sum(api.counts().values())
            profiler = cProfile.Profile() if args.profile else None
            cpu = time.thread_time()  # the app runs here; the fake Bot API's threads are not ours
            if profiler:
                profiler.enable()
            for _ in range(args.loops):
                for chat in chats:
                    chat.say("/bookings", "bookings")
                    menu = chat.press("MENU")
                    assert "LOGOUT" in str(menu.get("reply_markup")), menu
            if profiler:
                profiler.disable()
            cpu = time.thread_time() - cpu
            messages = 2 * args.loops * len(chats)
            trips = commands(client) - stats_before
            calls = sum(api.counts().values()) - calls_before
            print(
                f"{messages} messages: {1000 * cpu / messages:.3f} CPU ms/msg,"
                f" {trips / messages:.2f} Redis round trips/msg,"
                f" {calls / messages:.2f} Bot API calls/msg"
            )
            if profiler:
                pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
        finally:
            runtime.close()
            api.stop()
            cleanup = redis.Redis.from_url(redis_url)
            keys = list(cleanup.scan_iter(match=f"{prefix}:*", count=500))
            if keys:
                cleanup.delete(*keys)


SENT = itertools.count()
"""Sends on any Redis connection of this process: a pipeline is one, so these are round trips
(the shared Redis's own counters would include everybody else's traffic)."""


def count_round_trips() -> None:
    send = redis.connection.Connection.send_packed_command

    def counted(self: Any, command: Any, check_health: bool = True) -> None:
        next(SENT)
        send(self, command, check_health)

    redis.connection.Connection.send_packed_command = counted  # type: ignore[method-assign]


def commands(_client: redis.Redis) -> int:
    return next(SENT)


if __name__ == "__main__":
    main()
