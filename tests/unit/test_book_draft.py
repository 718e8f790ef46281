"""The draft: what is asked next, how it is kept, and its idempotency key."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.backends.builtin.demo import FREQUENCIES, SERVICES
from bot.backends.protocol import Catalogue, Service
from bot.conversation.book.draft import Draft
from bot.understanding.where import Place, from_location

CATALOGUE = Catalogue(services=SERVICES, frequencies=FREQUENCIES)
START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def service(service_id: str) -> Service:
    found = CATALOGUE.service(service_id)
    assert found is not None
    return found


def complete_clean() -> Draft:
    draft = Draft.new()
    draft.set_service(service("standard-clean"), None)
    draft.extras, draft.extras_done = {"oven": 2}, True
    draft.frequency = "one-off"
    draft.set_start(START)
    draft.set_address(Place("12 High St, London", "London"))
    draft.note_done = True
    return draft


def test_questions_come_in_order_and_only_for_what_is_missing() -> None:
    """Extras and a note are offered at the summary, never asked."""
    draft = Draft.new()
    assert draft.missing(CATALOGUE) == "service"
    draft.set_service(service("standard-clean"), None)
    assert draft.missing(CATALOGUE) == "frequency"
    draft.frequency = "weekly"
    assert draft.missing(CATALOGUE) == "start"
    draft.set_start(START)
    assert draft.missing(CATALOGUE) == "address"
    draft.set_address(Place("12 High St"))
    assert draft.missing(CATALOGUE) is None
    draft.editing = "extras"
    assert draft.missing(CATALOGUE) == "extras", "asked when chosen from the summary"


def test_a_ride_asks_pickup_and_dropoff_and_no_extras() -> None:
    draft = Draft.new()
    draft.set_service(service("city-ride"), None)
    draft.frequency = "one-off"
    draft.set_start(START)
    assert draft.missing(CATALOGUE) == "pickup"
    draft.set_pickup(from_location(51.5, -0.12))
    assert draft.missing(CATALOGUE) == "dropoff"
    draft.set_dropoff(Place("Heathrow T5"))
    assert draft.missing(CATALOGUE) is None
    assert draft.request().location == (51.5, -0.12)


def test_changing_to_another_kind_of_service_forgets_the_place_and_extras() -> None:
    draft = complete_clean()
    draft.set_service(service("airport-transfer"), service("standard-clean"))
    assert draft.extras == {} and draft.address is None
    assert draft.missing(CATALOGUE) == "pickup"


def test_an_address_given_before_the_service_is_a_rides_pickup() -> None:
    draft = Draft.new()
    draft.set_address(Place("12 High St, London"))
    draft.set_service(service("city-ride"), None)
    assert (draft.pickup, draft.address) == ("12 High St, London", None)


def test_editing_asks_that_field_even_though_it_is_set() -> None:
    draft = complete_clean()
    draft.editing = "start"
    assert draft.missing(CATALOGUE) == "start"
    draft.editing = "pickup"  # not a field of a clean: ignored
    assert draft.missing(CATALOGUE) is None


def test_survives_json_round_trip() -> None:
    draft = complete_clean()
    again = Draft.from_dict(json.loads(json.dumps(draft.to_dict())))
    assert again == draft
    assert Draft.from_dict(None) is None
    assert Draft.from_dict({"id": "x", "unknown_field": 1}) == Draft(id="x")
    assert Draft.from_dict({"id": "x", "extras": 1, "service": {"no": 1}}) is not None


def test_the_key_is_stable_for_the_same_draft_and_new_for_an_edited_one() -> None:
    draft = complete_clean()
    key = draft.idempotency_key("7")
    assert draft.idempotency_key("7") == key
    assert Draft.from_dict(draft.to_dict()).idempotency_key("7") == key  # type: ignore[union-attr]
    assert draft.idempotency_key("8") != key
    draft.note = "ring twice"
    assert draft.idempotency_key("7") != key
    draft.note = None
    assert draft.idempotency_key("7") == key
    draft.set_start(datetime(2026, 11, 24, 10, 30, tzinfo=UTC))
    assert draft.idempotency_key("7") != key
    assert complete_clean().idempotency_key("7") != key  # another draft, another booking
    assert len(key) <= 180


def test_label_names_service_and_time() -> None:
    from zoneinfo import ZoneInfo

    assert complete_clean().label(CATALOGUE, ZoneInfo("Europe/London")) == (
        "Standard clean, Tue 24 Nov 10:00"
    )
