"""A booking backend with TRACK from another platform (`TRACKING_BACKEND=foxtrot`).

Logging in, listing, booking and cancelling go to the booking backend; TRACK goes to the tracking
backend, whatever the booking backend could track itself. The composed backend is also a
`TrackingBackend`: a TRACK flow can ask it for `deliveries(customer)` directly, since a tracking
platform's deliveries are not the booking platform's bookings.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.backends.protocol import (
    BookingBackend,
    BookingNotFound,
    Capability,
    Customer,
    Tracking,
    TrackingBackend,
)
from bot.config import Settings

TRACKING_BACKENDS = ("foxtrot",)


class ComposedBackend:
    def __init__(self, booking: BookingBackend, tracking: TrackingBackend) -> None:
        self.booking_backend = booking
        self.tracking_backend = tracking
        self.name = f"{booking.name}+{tracking.name}"
        self.login_method = booking.login_method
        self.history_limit = booking.history_limit
        self.capabilities = booking.capabilities | {Capability.TRACK}

    def __getattr__(self, name: str) -> Any:
        # Everything else (login, lists, bookings, cancelling, link login where the booking
        # backend has it) is the booking backend's. Only called for names not found above.
        if name in ("booking_backend", "tracking_backend"):
            raise AttributeError(name)
        return getattr(self.booking_backend, name)

    def deliveries(self, customer: Customer) -> list[Tracking]:
        return self.tracking_backend.deliveries(customer)

    def track(self, customer: Customer, booking_id: str) -> Tracking:
        """The delivery with this id, else the customer's soonest one: a booking of the booking
        platform has no id on the tracking platform, and the customer asked where theirs is."""
        deliveries = self.tracking_backend.deliveries(customer)
        wanted = booking_id.strip().lstrip("#")
        for delivery in deliveries:
            if delivery.booking_id == wanted:
                return delivery
        if not deliveries:
            raise BookingNotFound(booking_id)
        return deliveries[0]

    def health(self) -> bool:
        booking_ok = self.booking_backend.health()
        return self.tracking_backend.health() and booking_ok

    def close(self) -> None:
        try:
            self.tracking_backend.close()
        finally:
            self.booking_backend.close()


def make_gazoop(settings: Settings, clock: Callable[[], datetime] | None = None) -> BookingBackend:
    from bot.backends.gazoop import GazoopBackend

    if not settings.gazoop_url:
        raise ValueError("GAZOOP_URL is required for BOOKING_BACKEND=gazoop")
    return GazoopBackend(settings.gazoop_url, tz=settings.tz, clock=clock)


def make_tracking_backend(settings: Settings) -> TrackingBackend | None:
    """The tracking backend TRACKING_BACKEND names, or None when TRACK stays the booking
    backend's own (unset, or the booking backend's name)."""
    name = (settings.tracking_backend or "").strip().lower()
    if not name or name == (settings.booking_backend or "builtin").strip().lower():
        return None
    if name == "foxtrot":
        from bot.backends.foxtrot import FoxtrotTracking

        return FoxtrotTracking(
            settings.foxtrot_api_key,
            settings.foxtrot_dc_id,
            base_url=settings.foxtrot_url,
            customer_id=settings.foxtrot_customer_id,
            eta_unit=settings.foxtrot_eta_unit,
        )
    raise ValueError(f"TRACKING_BACKEND={name!r} is not one of: {', '.join(TRACKING_BACKENDS)}")


def make_platform_backend(
    settings: Settings,
    clock: Callable[[], datetime] | None = None,
    booking_backend: BookingBackend | None = None,
) -> BookingBackend:
    """The backend the settings ask for: `booking_backend` (built by the caller) or, for
    BOOKING_BACKEND=gazoop, Gazoop's; with TRACKING_BACKEND's TRACK composed in when set."""
    if booking_backend is None:
        name = (settings.booking_backend or "").strip().lower()
        if name != "gazoop":
            raise ValueError(f"BOOKING_BACKEND={name!r}: pass the booking backend to compose")
        booking_backend = make_gazoop(settings, clock)
    try:
        tracking = make_tracking_backend(settings)
    except ValueError:
        booking_backend.close()
        raise
    if tracking is None:
        return booking_backend
    return ComposedBackend(booking_backend, tracking)
