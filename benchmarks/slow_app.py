"""The webhook app with every booking-backend call made slower, as a remote platform would be.

gunicorn serves `benchmarks.slow_app:create_app()` in place of the Procfile's factory when the
benchmark runs with `--backend-delay-ms N`; the delay comes in BENCH_BACKEND_DELAY_MS.
"""

from __future__ import annotations

import atexit
import os
import time
from typing import Any

from flask import Flask

from bot.backends import make_backend
from bot.backends.protocol import BookingBackend
from bot.config import Settings
from bot.runtime import build_runtime
from webhooks import app

DELAY_ENV = "BENCH_BACKEND_DELAY_MS"
DELAYED = frozenset(
    {
        "login",
        "recent_bookings",
        "booking",
        "catalogue",
        "quote",
        "create_booking",
        "cancel_booking",
        "track",
    }
)
"""The protocol's calls to the platform; `health` and `close` stay fast."""


class DelayedBackend:
    """Wraps a backend: each call of a `DELAYED` method first sleeps `delay_s`."""

    def __init__(self, inner: BookingBackend, delay_s: float) -> None:
        self._inner = inner
        self._delay_s = delay_s

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name not in DELAYED or not callable(attribute):
            return attribute

        def delayed(*args: Any, **kwargs: Any) -> Any:
            time.sleep(self._delay_s)
            return attribute(*args, **kwargs)

        return delayed


def create_app() -> Flask:
    settings = Settings.from_env()
    delay_ms = float(os.environ.get(DELAY_ENV, "0") or 0)
    backend: Any = make_backend(settings)
    if delay_ms > 0:
        backend = DelayedBackend(backend, delay_ms / 1000)
    runtime = build_runtime(settings, backend=backend)
    atexit.register(runtime.close)
    return app.create_app(settings, runtime=runtime)
