"""The answers to the booking questions: pricing parameters, extras, how often, when, where,
the note. Each puts what it read into the draft and lets the flow ask for what is missing next.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.backends.protocol import Extra, Service
from bot.conversation.book import questions as q
from bot.conversation.book.draft import Draft
from bot.conversation.book.flow import (
    advance,
    begin_again,
    compose,
    done_with,
    load,
    save,
    service_of,
    time_reply,
)
from bot.conversation.turn import Turn, ask_again, not_understood
from bot.messages import Reply
from bot.understanding import when as when_
from bot.understanding import where
from bot.understanding.catalogue import find_frequency, match_frequency, read_extras

SKIP_WORDS = frozenset({"SKIP", "NONE", "NO", "N", "NOPE", "NOTHING", "NO NOTE", "NO EXTRAS"})
MAX_NOTE = 300


def on_pricing(turn: Turn) -> list[Reply]:
    """A pricing parameter's value: its button (last time's answer), or a number typed."""
    draft = load(turn)
    if draft is None:
        return begin_again(turn)
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
        return begin_again(turn)
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
        return begin_again(turn)
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
        return begin_again(turn)
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
        return begin_again(turn)
    place = _place_from(turn, draft, read)
    if place is None:
        return ask_again(turn, problem(draft))
    store(draft, place)
    done_with(draft, field)
    return advance(turn, draft)


def on_note(turn: Turn) -> list[Reply]:
    draft = load(turn)
    if draft is None:
        return begin_again(turn)
    text = turn.text
    if turn.choice == "SKIP" or text.upper().strip(" .!") in SKIP_WORDS:
        draft.note = None
    elif not text:
        return not_understood(turn)
    elif len(text) > MAX_NOTE:
        return ask_again(turn, f"Please keep the note under {MAX_NOTE} characters.")
    else:
        draft.note = text
    draft.note_done = True
    done_with(draft, "note")
    return advance(turn, draft)
