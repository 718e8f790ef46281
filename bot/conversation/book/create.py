"""Creating the booking once, whatever happens to the platform's answer.

The create carries the draft's idempotency key, so a repeated YES or a retry after a timeout is
the same create. When the answer is lost (OutcomeUnknown, or any failure of the create) the
customer's bookings are checked for one like it that wasn't there before the first attempt;
success is reported only when the platform shows the booking.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.backends.protocol import (
    BackendBusy,
    BackendUnavailable,
    Booking,
    BookingStatus,
    Catalogue,
    Rejected,
)
from bot.conversation.book import questions as q
from bot.conversation.book.draft import Draft
from bot.conversation.book.flow import advance, discard, no_draft, rejected, save, service_of
from bot.conversation.formatting import place as booking_place
from bot.conversation.formatting import when
from bot.conversation.states import State
from bot.conversation.turn import Turn
from bot.messages import Reply

log = logging.getLogger(__name__)


def confirm(turn: Turn, draft: Draft) -> list[Reply]:
    """YES: create the booking once, whatever happens to the answer."""
    customer = turn.customer
    catalogue = turn.catalogue
    if not draft.quote or draft.quote.get("digest") != draft.digest(customer.id):
        return advance(turn, draft, ["The details changed, so here is the price again."])
    key = draft.idempotency_key(customer.id)
    request = draft.request()
    if not draft.attempt or draft.attempt.get("key") != key:
        # Bookings like this one that exist already are not ours, should the answer get lost.
        # A failure here is an ordinary one: nothing has been sent yet.
        existing = [
            b.id for b in turn.backend.recent_bookings(customer) if same(b, draft, catalogue)
        ]
        draft.attempt = {"key": key, "existing": existing}
        save(turn, draft)
    try:
        booking = turn.backend.create_booking(customer, request, key)
    except Rejected as rejection:
        draft.attempt = None
        return rejected(turn, draft, rejection, [])
    except BackendBusy:
        raise  # nothing was sent: the platform's retry of this message books it once
    except BackendUnavailable as error:
        log.warning("create of draft %s: outcome unknown (%s); checking", draft.id, error)
        found = find_created(turn, draft, catalogue)
        if found is None:
            save(turn, draft)
            turn.goto(State.BOOK_CONFIRM)
            return [Reply(q.UNCONFIRMED, q.confirm_options())]
        booking = found
    return booked(turn, draft, catalogue, booking)


def same(booking: Booking, draft: Draft, catalogue: Catalogue) -> bool:
    """Is this the booking the draft describes (same service and start, not cancelled)?"""
    service = service_of(draft, catalogue)
    names = {draft.service, service.name if service else None}
    return (
        booking.service in names
        and booking.start == draft.start_at
        and booking.status is not BookingStatus.CANCELLED
    )


def find_created(turn: Turn, draft: Draft, catalogue: Catalogue) -> Booking | None:
    """The booking a lost create made, if the platform shows one; None when it can't tell."""
    existing = set((draft.attempt or {}).get("existing", ()))
    try:
        recent = turn.backend.recent_bookings(turn.customer)
    except BackendUnavailable as error:
        log.warning("draft %s: could not check for the booking (%s)", draft.id, error)
        return None
    return next(
        (b for b in recent if b.id not in existing and same(b, draft, catalogue)),
        None,
    )


def booked(turn: Turn, draft: Draft, catalogue: Catalogue, booking: Booking) -> list[Reply]:
    """Say what was booked (as the platform answered), forget the draft, show the menu."""
    service = service_of(draft, catalogue)
    place = ""
    if service is not None:
        place = q.place_text(draft, service)
    place = place or booking_place(booking)
    total = booking.price or q.quoted_total(draft)
    text = q.booked_text(
        booking.id, booking.service, when(booking.start, turn.settings.tz), place, total
    )
    frequency = catalogue.frequency(draft.frequency or "")
    if frequency is not None and frequency.interval_days:
        following = booking.start + timedelta(days=frequency.interval_days)
        text += (
            f" It repeats {frequency.name.lower()}: the next one is "
            f"{when(following, turn.settings.tz)}."
        )
    discard(turn)
    return no_draft(turn, text)
