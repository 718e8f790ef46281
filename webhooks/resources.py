"""What the webhook app holds for its lifetime: settings, runtime and the Bot API client."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app

from bot.config import Settings
from bot.runtime import Runtime
from webhooks.bot_api import BotApi

log = logging.getLogger(__name__)

EXTENSION = "booking_bot"


@dataclass
class Resources:
    settings: Settings
    runtime: Runtime
    bot_api: BotApi | None
    owns_runtime: bool
    closed: bool = False

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.bot_api is not None:
            self.bot_api.close()
        if self.owns_runtime:
            try:
                self.runtime.close()
            except Exception:  # at exit: a failing close must not hide the others
                log.exception("closing the runtime failed")


def current() -> Resources:
    return current_app.extensions[EXTENSION]
