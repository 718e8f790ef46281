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
    """The booking backend BOOKING_BACKEND names, with TRACKING_BACKEND's TRACK composed in."""
    from bot.backends.composed import make_platform_backend

    name = (settings.booking_backend or "builtin").strip().lower()
    if name == "gazoop":
        return make_platform_backend(settings, clock)
    return make_platform_backend(
        settings, clock, booking_backend=_booking_backend(name, settings, clock)
    )


def _booking_backend(
    name: str, settings: Settings, clock: Callable[[], datetime] | None
) -> BookingBackend:
    if name == "builtin":
        from bot.backends.builtin import BuiltinBackend

        return BuiltinBackend(settings.database_url, settings=settings, clock=clock)
    if name == "launch27":
        from bot.backends.launch27 import make_launch27

        return make_launch27(settings, clock=clock)
    if name == "car2go":
        from bot.backends.car2go import make_car2go_backend

        return make_car2go_backend(settings, clock=clock)
    if name == "foxtrot":
        raise ValueError(
            "BOOKING_BACKEND=foxtrot: Foxtrot only tracks; set TRACKING_BACKEND=foxtrot"
        )
    raise ValueError(f"BOOKING_BACKEND={name!r} is not one of: {', '.join(BACKENDS)}")
