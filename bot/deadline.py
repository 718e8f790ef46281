"""The time left to answer the message being handled.

Twilio gives up on a webhook after 15 s, so every message is answered within `BUDGET_SECONDS`
whatever Redis, the database or a platform does. The engine starts the clock when a message
arrives; backends size their timeouts from `remaining()` and refuse to commit once `expired()`
(raising BackendBusy, so the webhook answers 503 and the platform's retry runs it once).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

BUDGET_SECONDS = 10.0
"""What one webhook may take in all, leaving a margin inside Twilio's 15 s."""

_ends_at: ContextVar[float | None] = ContextVar("deadline", default=None)


@contextmanager
def deadline(seconds: float = BUDGET_SECONDS) -> Iterator[None]:
    """Run the block against a deadline `seconds` from now (an outer, earlier one wins)."""
    ends_at = time.monotonic() + seconds
    outer = _ends_at.get()
    token = _ends_at.set(ends_at if outer is None else min(outer, ends_at))
    try:
        yield
    finally:
        _ends_at.reset(token)


def remaining(default: float = BUDGET_SECONDS) -> float:
    """Seconds left (never negative); `default` when no deadline is running."""
    ends_at = _ends_at.get()
    if ends_at is None:
        return default
    return max(0.0, ends_at - time.monotonic())


def expired() -> bool:
    ends_at = _ends_at.get()
    return ends_at is not None and time.monotonic() >= ends_at
