"""Application logging: configured by the app factory, one line per message handled.

WSGI servers configure only their own loggers, so without this nothing the app logs appears.
The line per message names the conversation by a hash (`bot.messages.chat_hash`, as every
line the app logs does: no phone number or chat id in the logs), the state the conversation
reached, the time taken and the outcome; never message text.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

log = logging.getLogger("webhooks.messages")


def configure(level_name: str) -> None:
    """Send the app's log lines to stderr at `level_name` (LOG_LEVEL), once per process."""
    level = logging.getLevelName(level_name.upper())
    if not isinstance(level, int):
        raise ValueError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {level_name!r}")
    root = logging.getLogger()
    if not any(getattr(h, "booking_bot", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.booking_bot = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    for name in ("bot", "webhooks"):
        logging.getLogger(name).setLevel(level)
    # httpx logs every request URL at INFO, and a Bot API URL contains the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)


@dataclass
class HandledMessage:
    channel: str
    chat: str = "-"
    state: str = "-"
    outcome: str = "ignored"


@contextmanager
def handling(channel: str) -> Iterator[HandledMessage]:
    """Log one line when the block ends: chat hash, state, time taken and outcome."""
    message = HandledMessage(channel)
    started = time.monotonic()
    try:
        yield message
    except BaseException as exc:
        message.outcome = f"error:{type(exc).__name__}"
        raise
    finally:
        log.info(
            "%s message chat=%s state=%s time=%dms outcome=%s",
            message.channel,
            message.chat,
            message.state,
            (time.monotonic() - started) * 1000,
            message.outcome,
        )
