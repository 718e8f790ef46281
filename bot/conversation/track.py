"""TRACK: where is my driver, my cleaner or my delivery, for platforms that can tell.

From the booking platform (the built-in store tracks its own bookings):
TRACK ──> the upcoming bookings, soonest first, paged with MORE ──(a number)──> tracking
TRACK <ref> ──> tracking of that booking, then the menu's options

From a tracking platform (TRACKING_BACKEND=foxtrot: the backend is also a `TrackingBackend`),
whose deliveries are not the booking platform's bookings:
TRACK ──> the customer's deliveries, soonest first, paged with MORE ──(a number)──> that one
      ──> just one delivery: said at once; none (Foxtrot 403/404 too): "No deliveries found"
TRACK <ref> ──> that delivery, or the deliveries when <ref> names none of them
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.backends.protocol import (
    BackendBusy,
    BackendUnavailable,
    BookingNotFound,
    Tracking,
    TrackingBackend,
)
from bot.backends.tracking_text import delivery_line, describe_delivery
from bot.conversation import listing
from bot.conversation.formatting import when
from bot.conversation.states import State
from bot.conversation.step import Step
from bot.conversation.turn import Turn, ask_again, not_understood, reply, to_menu
from bot.messages import Option, Reply

log = logging.getLogger(__name__)

FALLBACK = "Send the number of the booking to track, or MENU."
NO_DELIVERIES = "No deliveries found for you."
TRACKING_DOWN = "Sorry, I can't check where your delivery is just now. Please try again later."


def start(turn: Turn) -> list[Reply]:
    if isinstance(turn.backend, TrackingBackend):
        ref = listing.resolve_reference(turn, turn.args) if turn.args else None
        turn.session.data = {}
        return with_deliveries(turn, lambda found: delivery(turn, found, ref))
    if turn.args and (booking_id := listing.resolve_reference(turn, turn.args)):
        return track(turn, booking_id)
    turn.session.data = {}
    return show_page(turn, 0)


def show_page(turn: Turn, offset: int) -> list[Reply]:
    if isinstance(turn.backend, TrackingBackend):
        return with_deliveries(turn, lambda found: deliveries_page(turn, found, offset))
    found = turn.backend.recent_bookings(turn.customer, limit=listing.LIMIT)
    items = listing.upcoming(found, turn.now)
    if not items:
        return to_menu(turn, "You have no upcoming bookings to track.")
    turn.goto(State.TRACK_CHOOSE)
    return [listing.show_page(turn, items, header, offset=offset)]


def header(first: int, last: int, total: int) -> str:
    if first == 1 and last == total:
        return "Which booking?"
    return f"Which booking? ({first}-{last} of {total})"


def prompt(turn: Turn) -> Reply:
    return listing.shown_again(turn, FALLBACK)


def on_choose(turn: Turn) -> list[Reply]:
    if turn.word == "MORE":
        return show_page(turn, turn.session.list_next)
    booking_id = listing.typed_reference(turn)
    if not booking_id or (not turn.choice and booking_id not in turn.session.listed):
        return not_understood(turn)
    if isinstance(turn.backend, TrackingBackend):
        return with_deliveries(turn, lambda found: delivery(turn, found, booking_id))
    return track(turn, booking_id)


def track(turn: Turn, booking_id: str) -> list[Reply]:
    try:
        tracking = turn.backend.track(turn.customer, booking_id)
    except BookingNotFound:
        return ask_again(turn, f"I can't find booking {booking_id[:15]}.")
    turn.goto(State.MENU)
    return [
        reply(describe(turn, tracking), ("Track again", f"TRACK #{booking_id}"), ("Menu", "MENU"))
    ]


def describe(turn: Turn, tracking: Tracking) -> str:
    parts = [f"Booking #{tracking.booking_id}: {tracking.status}."]
    if tracking.description:
        parts.append(f"{tracking.description}.")
    if tracking.stops_ahead is not None:
        stops = "stop" if tracking.stops_ahead == 1 else "stops"
        parts.append(f"{tracking.stops_ahead} {stops} before yours.")
    if tracking.eta is not None:
        minutes = int((tracking.eta - turn.now).total_seconds() // 60)
        if 0 < minutes <= 120:
            parts.append(
                f"Arriving in about {minutes} min ({when(tracking.eta, turn.settings.tz)})."
            )
        else:
            parts.append(f"Expected {when(tracking.eta, turn.settings.tz)}.")
    if tracking.waiting_seconds:
        parts.append(f"Waiting time about {tracking.waiting_seconds // 60} min.")
    return " ".join(parts)


# --- deliveries from a tracking platform ------------------------------------------------------


def with_deliveries(turn: Turn, then: Callable[[list[Tracking]], list[Reply]]) -> list[Reply]:
    """The customer's deliveries handed to `then`; none, or the platform down, said here."""
    tracking: TrackingBackend = turn.backend  # type: ignore[assignment]  # checked by callers
    try:
        found = tracking.deliveries(turn.customer)
    except BookingNotFound:
        return to_menu(turn, NO_DELIVERIES)
    except BackendBusy:
        raise
    except BackendUnavailable as exc:
        # The adapter has logged what the operator must fix (Foxtrot 401: the API key).
        log.warning("tracking unavailable: %s", exc)
        return to_menu(turn, TRACKING_DOWN)
    if not found:
        return to_menu(turn, NO_DELIVERIES)
    return then(found)


def delivery(turn: Turn, found: list[Tracking], ref: str | None) -> list[Reply]:
    """The delivery `ref` names, else every delivery (one of them said at once)."""
    wanted = (ref or "").strip().lstrip("#")
    chosen = next((d for d in found if d.booking_id == wanted), None)
    if chosen is None and len(found) > 1:
        return deliveries_page(turn, found, 0)
    return said(turn, chosen or found[0])


def deliveries_page(turn: Turn, found: list[Tracking], offset: int) -> list[Reply]:
    if len(found) == 1:
        return said(turn, found[0])
    tz = turn.settings.tz
    entries = [Option(delivery_line(d, turn.now, tz), d.booking_id) for d in found]
    turn.goto(State.TRACK_CHOOSE)
    return [listing.show_entries(turn, entries, deliveries_header, offset=offset)]


def deliveries_header(first: int, last: int, total: int) -> str:
    if first == 1 and last == total:
        return "Your deliveries, soonest first:"
    return f"Your deliveries {first}-{last} of {total}:"


def said(turn: Turn, tracking: Tracking) -> list[Reply]:
    turn.goto(State.MENU)
    text = describe_delivery(tracking, turn.now, turn.settings.tz)
    return [reply(text, ("Track again", f"TRACK #{tracking.booking_id}"), ("Menu", "MENU"))]


STEPS = {State.TRACK_CHOOSE: Step(on_choose, prompt)}
