"""Booking something new by chat: BOOK, and what each booking state does with a message.

Service, extras, how often, when, where, note, then the summary with the platform's price and
YES / NO / EDIT. The draft and the order of questions are in `book_flow.py`, creating the
booking exactly once in `book_create.py`. A backend failure anywhere leaves the draft and the
state as they were: the engine restores the session and says so.
"""

from __future__ import annotations

from bot.conversation.book import answers, vehicle
from bot.conversation.book import questions as q
from bot.conversation.book.create import confirm
from bot.conversation.book.draft import FIELDS, Draft
from bot.conversation.book.flow import (
    BOOK_STATES,
    FIELD_OF,
    advance,
    ask,
    discard,
    done_with,
    load,
    no_draft,
    read_into,
    service_of,
)
from bot.conversation.states import State
from bot.conversation.step import Step
from bot.conversation.turn import Turn, not_understood
from bot.messages import Reply
from bot.understanding.booking import read_booking

YES_WORDS = frozenset({"YES", "Y", "YEP", "YEAH", "OK", "OKAY", "CONFIRM", "SURE"})
NO_WORDS = frozenset({"NO", "N", "NOPE", "DISCARD", "CANCEL", "STOP"})
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
NOTHING_TO_CONFIRM = "There's nothing to confirm right now."


# --- entry and moving on ------------------------------------------------------------------------


def start(turn: Turn) -> list[Reply]:
    """BOOK: carry on with (or replace) a draft, or start one; `BOOK <text>` fills in fields.
    A platform that books vehicles standing nearby (car2go) asks where the customer is."""
    if vehicle.vehicle_service(turn.catalogue) is not None:
        return vehicle.start(turn)
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
        if turn.args and len(turn.args) <= answers.MAX_NOTE:
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


STEPS = {  # the answers to the questions are in `answers`
    State.BOOK_RESUME: Step(on_resume, prompt),
    State.BOOK_SERVICE: Step(on_service, prompt),
    State.BOOK_PRICING: Step(answers.on_pricing, prompt),
    State.BOOK_EXTRAS: Step(answers.on_extras, prompt),
    State.BOOK_FREQUENCY: Step(answers.on_frequency, prompt),
    State.BOOK_WHEN: Step(answers.on_when, prompt),
    State.BOOK_WHERE: Step(answers.on_where, prompt),
    State.BOOK_PICKUP: Step(answers.on_pickup, prompt),
    State.BOOK_DROPOFF: Step(answers.on_dropoff, prompt),
    State.BOOK_NOTE: Step(answers.on_note, prompt),
    State.BOOK_CONFIRM: Step(on_confirm, prompt),
    State.BOOK_EDIT: Step(on_edit, prompt),
    State.BOOK_NEAR: Step(vehicle.on_near, vehicle.prompt),
    State.BOOK_VEHICLE: Step(vehicle.on_vehicle, vehicle.prompt),
}
