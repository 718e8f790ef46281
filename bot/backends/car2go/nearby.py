"""Which free cars are nearest to where the customer is.

car2go lists every free vehicle of the location with its coordinates and street address; it has
no search by place. A shared location is ranked by great-circle distance. A typed address is
matched against the cars' addresses by words (street, postcode, district) with rapidfuzz, since
the bot has no geocoder: cars in the same street or postcode come first.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

from rapidfuzz import fuzz

from bot.backends.protocol import Vehicle

EARTH_RADIUS_M = 6_371_000
MAX_DISTANCE_M = 5_000
"""A car further than this from a shared location is not offered."""
MIN_ADDRESS_SCORE = 60


def nearest(cars: list[Vehicle], near: str | tuple[float, float], limit: int) -> list[Vehicle]:
    if isinstance(near, tuple):
        return _by_distance(cars, near)[:limit]
    return _by_address(cars, near)[:limit]


def _by_distance(cars: list[Vehicle], here: tuple[float, float]) -> list[Vehicle]:
    measured = [
        replace(car, distance_m=round(distance_m(here, car.location)))
        for car in cars
        if car.location is not None
    ]
    measured = [car for car in measured if (car.distance_m or 0) <= MAX_DISTANCE_M]
    return sorted(measured, key=lambda car: car.distance_m or 0)


def _by_address(cars: list[Vehicle], typed: str) -> list[Vehicle]:
    wanted = _words(typed)
    if not wanted:
        return []
    scored = []
    for car in cars:
        if not car.address:
            continue
        score = fuzz.token_set_ratio(wanted, _words(car.address))
        if score >= MIN_ADDRESS_SCORE:
            scored.append((score, car))
    scored.sort(key=lambda pair: -pair[0])
    return [car for _, car in scored]


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def _words(text: str) -> str:
    text = text.lower().replace("ß", "ss").replace("str.", "strasse")
    return " ".join(re.findall(r"\w+", text))
