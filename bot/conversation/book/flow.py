"""The booking flow's core: the draft in the session, asking for the first thing missing, the
summary with the platform's price, and going back to a field the platform rejected.

The flow always asks for the first field the draft lacks (see `Draft.missing`), so a one-message
booking skips the questions it answered and an edit from the summary comes back to the summary.
"""

from __future__ import annotations

from bot.backends.protocol import (
    BackendUnavailable,
    BookingStatus,
    Capability,
    Catalogue,
    Rejected,
    Service,
)
from bot.conversation.book import questions as q
from bot.conversation.book.draft import FIELDS, Draft
from bot.conversation.states import State
from bot.conversation.turn import Turn, to_menu
from bot.messages import Reply
from bot.understanding import when as when_
from bot.understanding import where
from bot.understanding.booking import Carried, read_booking

STATE_OF = {
    "service": State.BOOK_SERVICE,
    "pricing": State.BOOK_PRICING,
    "extras": State.BOOK_EXTRAS,
    "frequency": State.BOOK_FREQUENCY,
    "start": State.BOOK_WHEN,
    "address": State.BOOK_WHERE,
    "pickup": State.BOOK_PICKUP,
    "dropoff": State.BOOK_DROPOFF,
    "note": State.BOOK_NOTE,
}
FIELD_OF = {state: name for name, state in STATE_OF.items()}
BOOK_STATES = frozenset(
    {
        *STATE_OF.values(),
        State.BOOK_RESUME,
        State.BOOK_CONFIRM,
        State.BOOK_EDIT,
        State.BOOK_NEAR,
        State.BOOK_VEHICLE,
    }
)

# --- the draft in the session -------------------------------------------------------------------


def load(turn: Turn) -> Draft | None:
    return Draft.from_dict(turn.session.draft)


def save(turn: Turn, draft: Draft) -> None:
    turn.session.draft = draft.to_dict()


def discard(turn: Turn) -> None:
    turn.session.draft = None


def service_of(draft: Draft, catalogue: Catalogue) -> Service | None:
    return catalogue.service(draft.service) if draft.service else None


def done_with(draft: Draft, name: str) -> None:
    """A field was given: if it was the one being edited, editing is over."""
    if draft.editing == name:
        draft.editing = None


def compose(lead: list[str], question: Reply) -> Reply:
    """Lines to say first, then the question, in one reply (one SMS, not two)."""
    text = "\n".join([*[line for line in lead if line], question.text])
    return Reply(text, question.options)


def advance(turn: Turn, draft: Draft, lead: list[str] | None = None) -> list[Reply]:
    """Ask for the first missing field, or show the summary when nothing is missing."""
    lead = list(lead or [])
    catalogue = turn.catalogue
    default_frequency(draft, catalogue)
    name = draft.missing(catalogue)
    if name is None:
        return summarise(turn, draft, catalogue, lead)
    turn.goto(STATE_OF[name])
    if name == "start" and draft.time_text:
        text, draft.time_text = draft.time_text, None
        save(turn, draft)
        reading = when_.read(
            text,
            turn.now,
            turn.settings.tz,
            catalogue.window,
            when_.date_order(turn.settings.phone_region),
        )
        return [compose(lead, time_reply(turn, catalogue, text, reading))]
    save(turn, draft)
    return [compose(lead, ask(turn, draft, catalogue, name))]


def last_answer(turn: Turn, service: Service, label: str) -> int | None:
    """What the customer answered last time for this service ("Bedrooms: 2" in its details)."""
    if Capability.LIST not in turn.backend.capabilities:
        return None
    try:
        found = turn.backend.recent_bookings(turn.customer)
    except BackendUnavailable:
        return None
    for booking in found:
        if booking.service != service.name:
            continue
        value = dict(booking.details).get(label, "")
        if value.strip().isdigit():
            return int(value)
    return None


def default_frequency(draft: Draft, catalogue: Catalogue) -> None:
    """The only frequency there is; or one-off when the time came with the first message (the
    summary says so, and "EDIT how often" changes it)."""
    if draft.frequency is not None or draft.editing is not None:
        return
    if len(catalogue.frequencies) == 1:
        draft.frequency = catalogue.frequencies[0].id
    elif draft.start_at is not None:
        once = next((f for f in catalogue.frequencies if f.interval_days is None), None)
        draft.frequency = once.id if once else None


def ask(turn: Turn, draft: Draft, catalogue: Catalogue, name: str) -> Reply:
    service = service_of(draft, catalogue)
    share = turn.profile.shares_location
    if name == "service" or service is None:
        return q.ask_service(catalogue)
    if name == "pricing" and (parameter := draft.next_parameter(service)) is not None:
        return q.ask_parameter(parameter, last_answer(turn, service, parameter.name))
    if name == "extras":
        pending = next((e for e in service.extras if e.id == draft.pending_extra), None)
        return (
            q.ask_quantity(pending)
            if pending
            else q.ask_extras(draft, service, turn.profile.pays_per_segment)
        )
    if name == "frequency":
        return q.ask_frequency(catalogue)
    if name == "start":
        return q.ask_when(
            catalogue.window, turn.now, turn.settings.tz, turn.profile.pays_per_segment
        )
    if name == "address":
        return q.ask_address(service, share)
    if name == "pickup":
        return q.ask_pickup(share)
    if name == "dropoff":
        return q.ask_dropoff()
    return q.ask_note(turn.profile.pays_per_segment)


def begin_again(turn: Turn) -> list[Reply]:
    """The draft went missing (dropped elsewhere): start a new booking from its first question."""
    return advance(turn, Draft.new())


def no_draft(turn: Turn, text: str = "There's no booking in progress.") -> list[Reply]:
    return to_menu(turn, text)


# --- reading fields -----------------------------------------------------------------------------


def read_into(turn: Turn, draft: Draft, text: str, lead: list[str] | None = None) -> list[Reply]:
    """Put whatever `text` carries into the draft, then ask for what is still missing."""
    lead = list(lead or [])
    catalogue = turn.catalogue
    current = service_of(draft, catalogue)
    carried = read_booking(text, catalogue, current)
    if carried.service is not None:
        draft.set_service(carried.service, current)
        done_with(draft, "service")
        current = carried.service
    if carried.extras is not None and current is not None and current.extras:
        draft.extras, draft.extras_done = carried.extras, True
        done_with(draft, "extras")
    if carried.frequency is not None:
        draft.frequency = carried.frequency.id
        done_with(draft, "frequency")
    if carried.time_text:
        reading = when_.read(
            carried.time_text,
            turn.now,
            turn.settings.tz,
            catalogue.window,
            when_.date_order(turn.settings.phone_region),
        )
        if reading.ok:
            draft.set_start(reading.moment)
            done_with(draft, "start")
        elif draft.start_at is not None:  # at the summary: say why, keep the time it had
            tz, window = turn.settings.tz, catalogue.window
            said = when_.explain(reading, carried.time_text, turn.now, tz, window)
            lead.append(f"{said} I kept {when_.show(draft.start_at, turn.now, tz)}.")
        else:
            # rejected as soon as it is read: the time question comes next, with free times
            draft.time_text = carried.time_text
            draft.editing = "start"
    ride = current is not None and current.kind == "ride"
    if carried.address and not ride and (place := where.read_address(carried.address)):
        draft.set_address(place)
        done_with(draft, "address")
    if carried.pickup and (current is None or ride) and (place := where.read_stop(carried.pickup)):
        draft.set_pickup(place)
        done_with(draft, "pickup")
    stop = where.read_stop(carried.dropoff) if carried.dropoff else None
    if stop is not None and (current is None or ride):
        draft.set_dropoff(stop)
        done_with(draft, "dropoff")
    if current is not None:
        draft.fit_place(current)
    if draft.service is None and text.strip() and not carried.carries_anything():
        lead.append("Sorry, I didn't catch which service.")
    default_frequency(draft, catalogue)
    understood = understood_text(turn, draft, carried) if draft.service else ""
    if understood and draft.missing(catalogue):
        lead.append(understood)  # a wrong guess shows now, not at the summary
    return advance(turn, draft, lead)


def understood_text(turn: Turn, draft: Draft, carried: Carried) -> str:
    """'Got it: Deep clean, Tue 24 Nov 09:00, 5 Elm Road.' for what this message said."""
    parts = []
    if carried.service is not None:
        parts.append(carried.service.name)
    if carried.time_text and draft.start_at is not None and not draft.time_text:
        parts.append(when_.show(draft.start_at, turn.now, turn.settings.tz))
    if carried.frequency is not None:
        parts.append(carried.frequency.name.lower())
    place = draft.address or draft.pickup
    if place and (carried.address or carried.pickup):
        parts.append(q.shorten(place, q.SMS_PLACE))
    if draft.dropoff and carried.dropoff:
        parts.append(f"to {q.shorten(draft.dropoff, q.SMS_PLACE)}")
    return f"Got it: {', '.join(parts)}." if len(parts) > 1 or carried.time_text else ""


def time_reply(turn: Turn, catalogue: Catalogue, text: str, reading: when_.Reading) -> Reply:
    return q.time_problem(text, reading, catalogue.window, turn.now, turn.settings.tz)


# --- the summary and the price --------------------------------------------------------------------


def summarise(
    turn: Turn, draft: Draft, catalogue: Catalogue, lead: list[str] | None = None
) -> list[Reply]:
    """Check the time is still bookable, get the platform's price, show the summary."""
    lead = list(lead or [])
    tz = turn.settings.tz
    start_at = draft.start_at
    assert start_at is not None
    if problem := when_.check(start_at, turn.now, tz, catalogue.window):
        draft.set_start(None)
        turn.goto(State.BOOK_WHEN)
        save(turn, draft)
        reading = when_.Reading(start_at, problem)
        return [compose(lead, time_reply(turn, catalogue, start_at.isoformat(), reading))]
    customer = turn.customer
    try:
        quote = turn.backend.quote(customer, draft.request())
    except Rejected as rejection:
        return rejected(turn, draft, rejection, lead)
    draft.quote = {
        "digest": draft.digest(customer.id),
        "total": quote.total.minor,
        "currency": quote.total.currency,
        "lines": [[label, amount.minor] for label, amount in quote.lines],
    }
    draft.editing = None
    save(turn, draft)
    turn.goto(State.BOOK_CONFIRM)
    if already_booked(turn, draft, catalogue):
        lead.append("Careful: you already have this booked for that time.")
    return [compose(lead, q.summary(draft, catalogue, tz, turn.profile.pays_per_segment))]


def already_booked(turn: Turn, draft: Draft, catalogue: Catalogue) -> bool:
    """An identical booking (same service, same start, not cancelled) exists already."""
    if Capability.LIST not in turn.backend.capabilities:
        return False
    service = service_of(draft, catalogue)
    names = {draft.service, service.name if service else None}
    try:
        found = turn.backend.recent_bookings(turn.customer)
    except BackendUnavailable:
        return False  # only a warning: the summary is shown without it
    return any(
        b.service in names and b.start == draft.start_at and b.status is not BookingStatus.CANCELLED
        for b in found
    )


def rejected(turn: Turn, draft: Draft, rejection: Rejected, lead: list[str]) -> list[Reply]:
    """Say what the platform objected to and go back to the first field at fault."""
    catalogue = turn.catalogue
    service = service_of(draft, catalogue)
    at_fault = []
    for name in rejection.fields:
        if name in ("city", "postcode", "location"):
            name = "address" if service is None or service.kind == "address" else "pickup"
        if name in FIELDS:
            at_fault.append(name)
            draft.clear(name)
    draft.quote = None
    draft.editing = None
    messages = list(dict.fromkeys(rejection.fields.values())) or [rejection.message]
    lead = [*lead, *messages]
    if not at_fault:
        save(turn, draft)
        turn.goto(State.BOOK_EDIT)
        return [compose(lead, q.ask_edit(service))]
    return advance(turn, draft, lead)
