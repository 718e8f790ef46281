"""The bot as Heroku runs it (the Procfile's server) with BOOKING_BACKEND=launch27 against a
local Launch27 server, plus the fake Bot API, for end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.fakes.launch27_server import API_KEY, FakeLaunch27, Launch27Platform
from tests.fakes.procfile_server import ServedBot, served_bot


@dataclass(kw_only=True)
class BotOnLaunch27(ServedBot):
    api: str
    fake: FakeLaunch27


@contextmanager
def bot_on_launch27(api: str, redis_url: str, logs: Path) -> Iterator[BotOnLaunch27]:
    """The Procfile's server serving the bot on Launch27's `api` (customer | legacy); PYTHONPATH is passed
    on, so the code under test is the one served."""
    fake = FakeLaunch27(Launch27Platform()).start()
    settings = {
        "REDIS_URL": redis_url,
        "BOOKING_BACKEND": "launch27",
        "LAUNCH27_URL": fake.url,
        "LAUNCH27_API_KEY": API_KEY,
        "LAUNCH27_API": api,
    }
    try:
        with served_bot(settings, logs / f"server-{api}.log") as bot:
            yield BotOnLaunch27(bot.url, bot.bot_api, bot.http, api=api, fake=fake)
    finally:
        fake.stop()
