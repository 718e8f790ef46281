"""Addresses from free text: the whole text kept, city and postcode or ZIP picked out."""

from __future__ import annotations

import pytest

from bot.understanding import where


@pytest.mark.parametrize(
    ("text", "city", "postcode"),
    [
        ("12 High St, London", "London", None),
        ("12 High Street, Kingston upon Thames KT1 1LQ", "Kingston upon Thames", "KT1 1LQ"),
        ("Flat 3, 5 Elm Road, Leeds, ls1 4ab", "Leeds", "LS1 4AB"),
        ("10 Downing Street, London SW1A2AA", "London", "SW1A 2AA"),
        ("350 W 42nd St, New York, NY 10036", "New York", "10036"),
        ("595 Market St, San Francisco CA 94105-1234", "San Francisco", "94105-1234"),
        ("Buckingham Palace Road", None, None),
    ],
)
def test_reads_city_and_postcode(text: str, city: str | None, postcode: str | None) -> None:
    place = where.read_address(text)
    assert place is not None
    assert place.text == text
    assert (place.city, place.postcode) == (city, postcode)


def test_a_house_number_alone_is_not_a_zip_code() -> None:
    place = where.read_address("12345 Long Road")
    assert place is not None and place.postcode is None


@pytest.mark.parametrize("text", ["", "SKIP", "home", "12", "x y", "a" * 250])
def test_what_is_not_an_address(text: str) -> None:
    assert where.read_address(text) is None


def test_a_ride_stop_may_be_a_landmark() -> None:
    assert where.read_stop("LHR") is not None
    assert where.read_stop("Heathrow T5") is not None
    assert where.read_stop("?") is None


def test_newlines_become_commas() -> None:
    place = where.read_address("12 High St\nLondon\n")
    assert place is not None
    assert place.text == "12 High St, London"
    assert place.city == "London"


def test_a_shared_location_keeps_its_coordinates() -> None:
    place = where.from_location(51.5, -0.12)
    assert place.text == "Shared location 51.50, -0.12"
    assert place.location == (51.5, -0.12)
    assert where.from_location(51.501364, -0.14189).text == "Shared location 51.50136, -0.14189"


def test_words_around_an_address_are_not_part_of_it() -> None:
    from bot.understanding.where import without_filler

    for text in ("12 High St instead", "12 High St please", "no extras, 12 High St"):
        place = where.read_address(without_filler(text))
        assert place is not None and place.text == "12 High St", text
