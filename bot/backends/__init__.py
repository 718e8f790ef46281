"""Booking backends and `make_backend`, which picks one from the settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.backends.protocol import BookingBackend
    from bot.config import Settings

BACKENDS = ("builtin", "launch27", "gazoop", "car2go", "foxtrot")


def make_backend(settings: Settings, clock: Callable[[], datetime] | None = None) -> BookingBackend:
    name = (settings.booking_backend or "builtin").strip().lower()
    if name == "builtin":
        from bot.backends.builtin import BuiltinBackend

        return BuiltinBackend(settings.database_url, settings=settings, clock=clock)
    if name == "launch27":
        from bot.backends.launch27 import make_launch27

        return make_launch27(settings, clock=clock)
    if name in BACKENDS:
        raise ValueError(f"BOOKING_BACKEND={name} is not available yet")
    raise ValueError(f"BOOKING_BACKEND={name!r} is not one of: {', '.join(BACKENDS)}")
