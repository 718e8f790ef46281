"""The bot as Heroku runs it (the Procfile's server) with BOOKING_BACKEND=car2go against the
local car2go, plus the fake Bot API and Twilio REST API it tells connected chats through, for
end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.fakes.car2go_server import CONSUMER_KEY, CONSUMER_SECRET, FakeCar2go
from tests.fakes.procfile_server import ServedBot, free_port, served_bot
from tests.fakes.twilio_api import FakeTwilioApi

CALLBACK_PATH = "/oauth/car2go/callback"


@dataclass
class BotOnCar2go(ServedBot):
    car2go: FakeCar2go
    twilio: FakeTwilioApi

    def allow(self, authorize_url: str, user: str) -> httpx.Response:
        """The customer opens the link and allows access on car2go's page."""
        return self.http.get(f"{authorize_url}&decision=allow&user={user}")


@contextmanager
def bot_on_car2go(redis_url: str, logs: Path) -> Iterator[BotOnCar2go]:
    """The Procfile's server on car2go. car2go sends customers back to the server's callback
    route, so the server's port is chosen first."""
    car2go = FakeCar2go().start()
    twilio = FakeTwilioApi().start()
    port = free_port()
    car2go.callback_url = f"http://127.0.0.1:{port}{CALLBACK_PATH}"
    settings = {
        "REDIS_URL": redis_url,
        "BOOKING_BACKEND": "car2go",
        "CAR2GO_URL": car2go.url,
        "CAR2GO_CONSUMER_KEY": CONSUMER_KEY,
        "CAR2GO_CONSUMER_SECRET": CONSUMER_SECRET,
        "CAR2GO_LOC": "ulm",
        "CURRENCY": "EUR",
        "TIMEZONE": "Europe/Berlin",
        "TWILIO_API_URL": twilio.url,
    }
    try:
        with served_bot(settings, logs / "server-car2go.log", port=port) as served:
            yield BotOnCar2go(served.url, served.bot_api, served.http, car2go, twilio)
    finally:
        twilio.stop()
        car2go.stop()
