"""Launch27: the current customer API and the legacy API 2.0, picked by LAUNCH27_API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.backends.launch27.base import Launch27Base
from bot.backends.launch27.customer import Launch27CustomerBackend
from bot.backends.launch27.legacy import Launch27LegacyBackend
from bot.config import Settings

APIS = {"customer": Launch27CustomerBackend, "legacy": Launch27LegacyBackend}


def make_launch27(settings: Settings, clock: Callable[[], datetime] | None = None) -> Launch27Base:
    api = (settings.launch27_api or "customer").strip().lower()
    if api not in APIS:
        raise ValueError(f"LAUNCH27_API={api!r} is not one of: customer, legacy")
    if not settings.launch27_url:
        raise ValueError("LAUNCH27_URL must be set when BOOKING_BACKEND=launch27")
    if api == "legacy" and not settings.launch27_api_key:
        raise ValueError("LAUNCH27_API_KEY must be set when LAUNCH27_API=legacy")
    return APIS[api](
        settings.launch27_url, settings.launch27_api_key, settings=settings, clock=clock
    )


__all__ = ["Launch27CustomerBackend", "Launch27LegacyBackend", "make_launch27"]
