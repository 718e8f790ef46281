"""Booking something new by chat: BOOK, and what each booking state does with a message.

Service, extras, how often, when, where, note, then the summary with the platform's price and
YES / NO / EDIT. The draft and the order of questions are in `book_flow.py`, creating the
booking exactly once in `book_create.py`. A backend failure anywhere leaves the draft and the
state as they were: the engine restores the session and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.backends.protocol import Extra, Service
from bot.conversation.book import questions as q
from bot.conversation.book.create import confirm
from bot.conversation.book.draft import FIELDS, Draft
from bot.conversation.book.flow import (
    BOOK_STATES,
    FIELD_OF,
    advance,
    ask,
    compose,
    discard,
    done_with,
    load,
    no_draft,
    read_into,
    save,
    service_of,
    time_reply,
)
from bot.conversation.states import State
from bot.conversation.step import Step
from bot.conversation.turn import Turn, not_understood
from bot.messages import Reply
from bot.understanding import when as when_
from bot.understanding import where
from bot.understanding.booking import read_booking
from bot.understanding.catalogue import find_frequency, match_frequency, read_extras

YES_WORDS = frozenset({"YES", "Y", "YEP", "YEAH", "OK", "OKAY", "CONFIRM", "SURE"})
NO_WORDS = frozenset({"NO", "N", "NOPE", "DISCARD", "CANCEL", "STOP"})
SKIP_WORDS = frozenset({"SKIP", "NONE", "NO", "N", "NOPE", "NOTHING", "NO NOTE", "NO EXTRAS"})
EDIT_WORDS = {
    "service": "service",
    "what": "service",
    "extras": "extras",
    "extra": "extras",
    "frequency": "frequency",
    "often": "frequency",
    "how often": "frequency",
    "repeat": "frequency",
    "when": "start",
    "time": "start",
    "date": "start",
    "day": "start",
    "start": "start",
    "where": "address",
    "address": "address",
    "pickup": "pickup",
    "pick up": "pickup",
    "from": "pickup",
    "dropoff": "dropoff",
    "drop off": "dropoff",
    "to": "dropoff",
    "destination": "dropoff",
    "note": "note",
    "back": "back",
    "summary": "back",
    "nothing": "back",
}
MAX_NOTE = 300
NOTHING_TO_CONFIRM = "There's nothing to confirm right now."


# --- entry and moving on ------------------------------------------------------------------------


def start(turn: Turn) -> list[Reply]:
    """BOOK: carry on with (or replace) a draft, or start one; `BOOK <text>` fills in fields."""
    draft = load(turn)
    if turn.args and not turn.choice:
        # In the middle of a booking "BOOK tomorrow 3pm" adds to it; otherwise it is a new one.
        if draft is None or turn.session.state not in BOOK_STATES:
            draft = Draft.new()
        return read_into(turn, draft, turn.args)
    if draft is not None and not draft.is_empty():
        turn.goto(State.BOOK_RESUME)
        return [q.ask_resume(draft.label(turn.catalogue, turn.settings.tz))]
    return advance(turn, Draft.new())


def prompt(turn: Turn) -> Reply:
    """Ask again for what the current booking state needs (after input it could not use)."""
    draft = load(turn)
    if draft is None:
        return Reply("There's no booking in progress. Send BOOK to start one, or MENU.")
    catalogue = turn.catalogue
    state = State(turn.session.state)
    if state is State.BOOK_RESUME:
        return q.ask_resume(draft.label(catalogue, turn.settings.tz))
    if state is State.BOOK_CONFIRM:
        return q.summary(draft, catalogue, turn.settings.tz, turn.profile.pays_per_segment)
    if state is State.BOOK_EDIT:
        return q.ask_edit(service_of(draft, catalogue))
    return ask(turn, draft, catalogue, FIELD_OF.get(state, "service"))


# --- one handler per state ----------------------------------------------------------------------


def on_resume(turn: Turn) -> list[Reply]:
    draft = load(turn)
    if draft is None:
        return start(turn)
    word = turn.word
    text = turn.text.lower()
    if word in ("CARRY", "CONTINUE", "FINISH", *YES_WORDS) or text.startswith("carry on"):
        return advance(turn, draft)
    if word in ("RESTART", "NEW", "AGAIN", *NO_WORDS):
        return advance(turn, Draft.new())
    return not_understood(turn)


def on_service(turn: Turn) -> list[Reply]:
    draft = load(turn)
    if draft is None:
        return start(turn)
    catalogue = turn.catalogue
    if turn.choice and turn.choice.startswith("svc:"):
        chosen = catalogue.service(turn.choice[4:])
        if chosen is None:
            return not_understood(turn, "Sorry, we don't offer that any more.")
        draft.set_service(chosen, service_of(draft, catalogue))
        done_with(draft, "service")
        return advance(turn, draft)
    return read_into(turn, draft, turn.text)


def on_pricing(turn: Turn) -> list[Reply]:
    """A pricing parameter's value: its button (last time's answer), or a number typed."""
    draft = load(turn)
    if draft is None:
        return start(turn)
    service = service_of(draft, turn.catalogue)
    parameter = draft.next_parameter(service) if service else None
    if service is None or parameter is None:
        return advance(turn, draft)
    choice = turn.choice or ""
    raw = choice.rsplit(":", 1)[-1] if choice.startswith(f"param:{parameter.id}:") else turn.text
    raw = raw.strip()
    if not raw.isdigit() or not parameter.minimum <= int(raw) <= parameter.maximum:
        return not_understood(
            turn, f"Please send a number from {parameter.minimum} to {parameter.maximum}."
        )
    draft.pricing[parameter.id] = int(raw)
    if draft.next_parameter(service) is None:
        done_with(draft, "pricing")
    return advance(turn, draft)


def on_extras(turn: Turn) -> list[Reply]:
    draft = load(turn)
    if draft is None:
        return start(turn)
    catalogue = turn.catalogue
    service = service_of(draft, catalogue)
    if service is None or not service.extras:
        draft.extras_done = True
        return advance(turn, draft)
    extras = {extra.id: extra for extra in service.extras}
    choice = turn.choice or ""
    if draft.pending_extra in extras:
        return take_quantity(turn, draft, service, extras[draft.pending_extra])
    if choice.startswith("extra:") and choice[6:] in extras:
        extra = extras[choice[6:]]
        if extra.max_quantity > 1:
            draft.pending_extra = extra.id
            save(turn, draft)
            return [q.ask_quantity(extra)]
        if draft.extras.pop(extra.id, None) is None:
            draft.extras[extra.id] = 1
        save(turn, draft)
        return [q.ask_extras(draft, service, turn.profile.pays_per_segment)]
    if turn.word == "DONE" or turn.choice == "NONE" or turn.text.upper() in SKIP_WORDS:
        draft.extras_done = True
        done_with(draft, "extras")
        return advance(turn, draft)
    found = read_extras(turn.text, service.extras)
    if isinstance(found, str) or not found:
        lead = found if isinstance(found, str) else ""
        return [compose([lead], q.ask_extras(draft, service, turn.profile.pays_per_segment))]
    draft.extras, draft.extras_done = {**draft.extras, **found}, True
    done_with(draft, "extras")
    return advance(turn, draft)


def take_quantity(turn: Turn, draft: Draft, service: Service, extra: Extra) -> list[Reply]:
    choice = turn.choice or ""
    raw = choice.rsplit(":", 1)[-1] if choice.startswith(f"qty:{extra.id}:") else turn.text
    if not raw.strip().isdigit() or not 1 <= int(raw) <= extra.max_quantity:
        if turn.word in ("NONE", "NO", "SKIP", "DONE"):
            draft.pending_extra = None
            save(turn, draft)
            return [q.ask_extras(draft, service, turn.profile.pays_per_segment)]
        lead = f"Please send a number from 1 to {extra.max_quantity}."
        return [compose([lead], q.ask_quantity(extra))]
    draft.extras[extra.id] = int(raw)
    draft.pending_extra = None
    save(turn, draft)
    return [q.ask_extras(draft, service, turn.profile.pays_per_segment)]


def on_frequency(turn: Turn) -> list[Reply]:
    draft = load(turn)
    if draft is None:
        return start(turn)
    catalogue = turn.catalogue
    choice = turn.choice or ""
    if choice.startswith("freq:"):
        chosen = catalogue.frequency(choice[5:])
    else:
        chosen = match_frequency(turn.text, catalogue.frequencies)
    if chosen is None:
        return not_understood(turn)
    draft.frequency = chosen.id
    done_with(draft, "frequency")
    return advance(turn, draft)


def on_when(turn: Turn) -> list[Reply]:
    draft = load(turn)
    if draft is None:
        return start(turn)
    catalogue = turn.catalogue
    tz, now, window = turn.settings.tz, turn.now, catalogue.window
    text = turn.text
    if turn.choice and (picked := _iso(turn.choice)) is not None:
        reading = when_.Reading(picked, when_.check(picked, now, tz, window))
        text = turn.choice
    else:
        reading = when_.read(text, now, tz, window, when_.date_order(turn.settings.phone_region))
    if not reading.ok:
        return [time_reply(turn, catalogue, text, reading)]
    draft.set_start(reading.moment)
    done_with(draft, "start")
    return advance(turn, draft)


def _iso(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _place_from(
    turn: Turn, draft: Draft, read: Callable[[str], where.Place | None]
) -> where.Place | None:
    """A shared location, or the place the text names: "12 High St weekly" is an address and
    how often, "5 Elm Rd instead" just the address."""
    location = turn.incoming.location
    if location is not None:
        return where.from_location(*location)
    text = turn.text
    if found := find_frequency(text, turn.catalogue.frequencies):
        draft.frequency = found[0].id
        text = text.replace(found[1], " ", 1)
    return read(where.without_filler(text))


def on_where(turn: Turn) -> list[Reply]:
    def problem(draft: Draft) -> str:
        service = service_of(draft, turn.catalogue)
        return f"We need the full address for the {service.name if service else 'booking'}."

    return _take_place(turn, where.read_address, "address", Draft.set_address, problem)


def on_pickup(turn: Turn) -> list[Reply]:
    return _take_place(
        turn,
        where.read_stop,
        "pickup",
        Draft.set_pickup,
        lambda _: "We need a pickup address or place.",
    )


def on_dropoff(turn: Turn) -> list[Reply]:
    return _take_place(
        turn,
        where.read_stop,
        "dropoff",
        Draft.set_dropoff,
        lambda _: "We need to know where you're going.",
    )


def _take_place(
    turn: Turn,
    read: Callable[[str], where.Place | None],
    field: str,
    store: Callable[[Draft, where.Place], None],
    problem: Callable[[Draft], str],
) -> list[Reply]:
    """The address, pickup or dropoff from the message; or say what is needed and ask again."""
    draft = load(turn)
    if draft is None:
        return start(turn)
    place = _place_from(turn, draft, read)
    if place is None:
        return [compose([problem(draft)], prompt(turn))]
    store(draft, place)
    done_with(draft, field)
    return advance(turn, draft)


def on_note(turn: Turn) -> list[Reply]:
    draft = load(turn)
    if draft is None:
        return start(turn)
    text = turn.text
    if turn.choice == "SKIP" or text.upper().strip(" .!") in SKIP_WORDS:
        draft.note = None
    elif not text:
        return not_understood(turn)
    elif len(text) > MAX_NOTE:
        return [compose([f"Please keep the note under {MAX_NOTE} characters."], prompt(turn))]
    else:
        draft.note = text
    draft.note_done = True
    done_with(draft, "note")
    return advance(turn, draft)


def on_edit(turn: Turn) -> list[Reply]:
    draft = load(turn)
    if draft is None:
        return no_draft(turn)
    name = edit_field(turn.args if turn.word == "EDIT" else turn.text)
    if name is None:
        return not_understood(turn)
    return edit(turn, draft, name)


def edit_field(text: str) -> str | None:
    return EDIT_WORDS.get(" ".join(text.lower().split()).strip(" ?.!"))


def edit(turn: Turn, draft: Draft, name: str) -> list[Reply]:
    """Ask for one field again; once it is given the summary comes back."""
    if name == "back":
        return advance(turn, draft)
    service = service_of(draft, turn.catalogue)
    if service is not None and name in ("address", "pickup", "dropoff"):
        places = draft.places(service)
        if name not in places:
            name = places[0]
    if name == "extras":  # chosen afresh: the only way to take one off
        draft.extras, draft.extras_done, draft.pending_extra = {}, False, None
    draft.editing = name if name in FIELDS else None
    return advance(turn, draft)


def on_confirm(turn: Turn) -> list[Reply]:
    draft = load(turn)
    if draft is None:
        return no_draft(turn, NOTHING_TO_CONFIRM)
    word = turn.word
    if word in YES_WORDS:
        return confirm(turn, draft)
    if word in NO_WORDS:
        discard(turn)
        return no_draft(turn, "OK, I haven't booked it.")
    if word in ("EXTRAS", "EXTRA"):
        return edit(turn, draft, "extras")
    if word == "NOTE":
        if turn.args and len(turn.args) <= MAX_NOTE:
            draft.note, draft.note_done = turn.args, True
            return advance(turn, draft)
        return edit(turn, draft, "note")
    if word in ("EDIT", "CHANGE"):
        if turn.args and (name := edit_field(turn.args)):
            return edit(turn, draft, name)
        turn.goto(State.BOOK_EDIT)
        return [q.ask_edit(service_of(draft, turn.catalogue))]
    carried = read_booking(turn.text, turn.catalogue, service_of(draft, turn.catalogue))
    if carried.carries_anything():
        return read_into(turn, draft, turn.text)
    return not_understood(turn)


STEPS = {
    State.BOOK_RESUME: Step(on_resume, prompt),
    State.BOOK_SERVICE: Step(on_service, prompt),
    State.BOOK_PRICING: Step(on_pricing, prompt),
    State.BOOK_EXTRAS: Step(on_extras, prompt),
    State.BOOK_FREQUENCY: Step(on_frequency, prompt),
    State.BOOK_WHEN: Step(on_when, prompt),
    State.BOOK_WHERE: Step(on_where, prompt),
    State.BOOK_PICKUP: Step(on_pickup, prompt),
    State.BOOK_DROPOFF: Step(on_dropoff, prompt),
    State.BOOK_NOTE: Step(on_note, prompt),
    State.BOOK_CONFIRM: Step(on_confirm, prompt),
    State.BOOK_EDIT: Step(on_edit, prompt),
}
