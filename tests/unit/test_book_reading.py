"""Reading a booking out of one message, and matching words to the catalogue."""

from __future__ import annotations

import pytest

from bot.backends.builtin.demo import FREQUENCIES, SERVICES
from bot.backends.protocol import Catalogue
from bot.understanding.booking import read_booking
from bot.understanding.catalogue import match_frequency, match_service, read_extras

CATALOGUE = Catalogue(services=SERVICES, frequencies=FREQUENCIES)
STANDARD = CATALOGUE.service("standard-clean")
assert STANDARD is not None


@pytest.mark.parametrize(
    ("text", "service_id"),
    [
        ("Standard clean", "standard-clean"),
        ("deep clean", "deep-clean"),
        ("DEEP CLEANING please", "deep-clean"),
        ("airport", "airport-transfer"),
        ("a ride", "city-ride"),
        ("city rides", "city-ride"),
        ("clean", None),
        ("hello", None),
    ],
)
def test_services_are_matched_by_name_words(text: str, service_id: str | None) -> None:
    found = match_service(text, CATALOGUE.services)
    assert (found.id if found else None) == service_id


@pytest.mark.parametrize(
    ("text", "frequency_id"),
    [
        ("weekly", "weekly"),
        ("every 2 weeks", "fortnightly"),
        ("Fortnightly", "fortnightly"),
        ("just once", "one-off"),
        ("one-off", "one-off"),
        ("once a week", "weekly"),
        ("daily", None),
    ],
)
def test_frequencies_by_name_or_phrase(text: str, frequency_id: str | None) -> None:
    found = match_frequency(text, CATALOGUE.frequencies)
    assert (found.id if found else None) == frequency_id


def test_extras_with_quantities() -> None:
    assert read_extras("2 oven, fridge", STANDARD.extras) == {"oven": 2, "fridge": 1}
    assert read_extras("oven x2 and windows", STANDARD.extras) == {"oven": 2, "windows": 1}
    assert read_extras("ironing 3", STANDARD.extras) == {"ironing": 3}
    assert "1 to 2" in str(read_extras("5 oven", STANDARD.extras))
    assert "once" in str(read_extras("2 fridge", STANDARD.extras))
    assert "jacuzzi" in str(read_extras("jacuzzi", STANDARD.extras))


def test_the_one_message_booking() -> None:
    carried = read_booking("standard clean tomorrow 10am at 12 High St, London", CATALOGUE)
    assert carried.service is STANDARD
    assert carried.time_text == "tomorrow 10am"
    assert carried.address == "12 High St, London"
    assert carried.frequency is None and carried.extras is None


def test_time_and_place_in_any_order() -> None:
    carried = read_booking(
        "Deep clean at 5 Elm Road, Leeds LS1 4AB on fri at 10:30 weekly", CATALOGUE
    )
    assert carried.service is not None and carried.service.id == "deep-clean"
    assert carried.address == "5 Elm Road, Leeds LS1 4AB"
    assert carried.time_text == "on fri at 10:30"
    assert carried.frequency is not None and carried.frequency.id == "weekly"


def test_an_address_without_at_starts_with_a_house_number() -> None:
    carried = read_booking("standard clean 24/11 9am 12 High St, London", CATALOGUE)
    assert carried.address == "12 High St, London"
    assert carried.time_text == "24/11 9am"


def test_address_words_do_not_choose_the_service() -> None:
    carried = read_booking("tomorrow 10am at 12 City Road, London", CATALOGUE)
    assert carried.service is None
    assert carried.address == "12 City Road, London"


def test_a_ride_from_and_to() -> None:
    carried = read_booking("city ride from Wood St to Surbiton Station tomorrow 3pm", CATALOGUE)
    assert carried.service is not None and carried.service.kind == "ride"
    assert (carried.pickup, carried.dropoff) == ("Wood St", "Surbiton Station")
    assert carried.time_text == "tomorrow 3pm"


def test_a_ride_to_only_and_an_at_pickup() -> None:
    carried = read_booking("airport transfer at 12 High St to Heathrow T5 24/11 6am", CATALOGUE)
    assert carried.pickup == "12 High St"
    assert carried.dropoff == "Heathrow T5"


def test_extras_in_a_with_clause() -> None:
    carried = read_booking("standard clean with 2 oven and fridge tomorrow 9am", CATALOGUE)
    assert carried.extras == {"oven": 2, "fridge": 1}
    assert carried.time_text == "tomorrow 9am"


def test_nothing_carried() -> None:
    assert not read_booking("hello there", CATALOGUE).carries_anything()
