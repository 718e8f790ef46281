"""The booking list kept with the session: BOOKINGS again shows it without asking the backend.

Kept in the session record, not in a process: every message of a conversation reads and saves
its session whichever worker serves it, so a cancel or a new booking made through this bot (on
any worker) drops the list before the next message can show it, and keeping it costs no Redis
round trip. A list older than `Settings.bookings_keep_seconds` is read afresh: the platform's
data also changes elsewhere (the business's own staff, the customer's other chats). Lists are
kept per customer and size, and never for a logged-out session.

Only the list shown by BOOKINGS is served from it (`listed`): a flow that decides something from
the list (what a lost create made, what may be cancelled) reads afresh.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from bot.backends.protocol import Booking, BookingBackend, Cancellation, Customer
from bot.sessions import KeptList, Session


class KeptBookings:
    """The backend as one message's turn sees it; everything but the list and the writes is
    passed through unchanged."""

    def __init__(
        self, backend: BookingBackend, session: Session, now: datetime, keep_seconds: float
    ) -> None:
        self._backend = backend
        self._session = session
        self._now = now.timestamp()
        self._keep_seconds = keep_seconds
        self.changed = False
        """A create or cancel was tried in this turn (whatever its outcome)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)

    def listed(self, customer: Customer, limit: int) -> list[Booking]:
        """The list to show: the one kept, if still usable, else read afresh."""
        kept = self._session.kept_list
        if kept is not None and self._usable(kept, customer, limit):
            try:
                return kept.booking_list()
            except msgspec.DecodeError:  # kept by another version: read afresh
                pass
        return self.recent_bookings(customer, limit)

    def recent_bookings(self, customer: Customer, limit: int = 25) -> list[Booking]:
        """Always read afresh (and kept for the next `listed`)."""
        found = self._backend.recent_bookings(customer, limit)
        if self._keep_seconds > 0:
            self._session.kept_list = KeptList.of(customer.id, self._now, limit, list(found))
        return found

    def create_booking(self, *args: Any, **kwargs: Any) -> Booking:
        self.forget()
        return self._backend.create_booking(*args, **kwargs)

    def cancel_booking(self, *args: Any, **kwargs: Any) -> Cancellation:
        self.forget()
        return self._backend.cancel_booking(*args, **kwargs)

    def forget(self) -> None:
        self.changed = True
        self._session.kept_list = None

    def _usable(self, kept: KeptList, customer: Customer, limit: int) -> bool:
        age = self._now - kept.read_at
        return (
            kept.customer == customer.id and kept.limit == limit and 0 <= age < self._keep_seconds
        )


def bookings_to_show(
    backend: BookingBackend | KeptBookings, customer: Customer, limit: int
) -> list[Booking]:
    """The booking list for BOOKINGS: from the session when a turn's backend keeps it."""
    if isinstance(backend, KeptBookings):
        return backend.listed(customer, limit)
    return backend.recent_bookings(customer, limit)
