"""Reserving a vehicle that stands near the customer (a `vehicle` service: car2go).

    BOOK [near <place>] ──> BOOK_NEAR: "Where are you?" (a street, a postcode, or a location)
    BOOK_NEAR ──(a place: the nearest free cars, numbered)──> BOOK_VEHICLE
    BOOK_VEHICLE ──(a car's number or button)──> reserved now ──> Next.MENU
                 ──(another place)──> the cars near it
                 ──(NO / CANCEL)──> nothing reserved ──> Next.MENU

There is no time to ask and no price to agree (the platform charges the drive): choosing a car
reserves it. A retry after a lost answer reserves nothing twice (the backend finds the earlier
reservation of the same car). No draft is kept: the cars are only good for a few minutes.
"""

from __future__ import annotations

import secrets

from bot.backends.protocol import (
    BookingRequest,
    Catalogue,
    Rejected,
    Service,
    Vehicle,
    VehicleSearch,
)
from bot.conversation.formatting import place
from bot.conversation.states import State
from bot.conversation.turn import Turn, ask_again, to_menu
from bot.messages import Option, Reply

NEAREST = 5
"""Cars offered at once: enough to choose from."""
NEAREST_SMS = 3
"""Where every segment costs: three cars fit two SMS segments."""
CAR = "car:"
NO_WORDS = frozenset({"NO", "N", "NOPE", "CANCEL", "STOP", "NONE"})
NEAR_WORDS = ("near ", "at ", "in ", "around ", "by ")
NOT_HERE = "Sorry, cars can't be reserved here."


def vehicle_service(catalogue: Catalogue) -> Service | None:
    """The platform's vehicle service, when vehicles are what it books."""
    return next((s for s in catalogue.services if s.kind == "vehicle"), None)


def start(turn: Turn) -> list[Reply]:
    """BOOK: where is the customer? `BOOK near Blaubeurer Strasse` searches right away."""
    turn.session.data = {}
    near = search_words(turn.args) if not turn.choice else ""
    if near:
        return offer(turn, near)
    turn.goto(State.BOOK_NEAR)
    return [prompt_near(turn)]


def prompt_near(turn: Turn) -> Reply:
    share = " or share your location" if turn.profile.shares_location else ""
    return Reply(
        f"Where are you? Send a street, an address or a postcode{share}, "
        "and I'll find the nearest free cars."
    )


def prompt(turn: Turn) -> Reply:
    """The cars on offer (kept in the session), else where the customer is."""
    cars = turn.session.data.get("cars")
    if turn.session.state == State.BOOK_VEHICLE and cars:
        near = turn.session.data.get("near", "")
        options = tuple(Option(label, f"{CAR}{vin}") for vin, _, _, label in cars)
        return Reply(f"Free cars near {near}, nearest first. Choose one to reserve it:", options)
    return prompt_near(turn)


def on_near(turn: Turn) -> list[Reply]:
    if turn.word in NO_WORDS and turn.incoming.location is None:
        return nothing_reserved(turn)
    if turn.incoming.location is not None:
        return offer(turn, turn.incoming.location)
    near = search_words(turn.text)
    if not near:
        return [prompt_near(turn)]
    return offer(turn, near)


def on_vehicle(turn: Turn) -> list[Reply]:
    if turn.choice and turn.choice.startswith(CAR):
        return reserve(turn, turn.choice.removeprefix(CAR))
    if turn.incoming.location is not None:
        return offer(turn, turn.incoming.location)
    if turn.word in NO_WORDS:
        return nothing_reserved(turn)
    if turn.text.isdigit():
        return ask_again(turn, "That number isn't on the list.")
    near = search_words(turn.text)
    return offer(turn, near) if near else [prompt(turn)]


# --- finding cars ---------------------------------------------------------------------------


def offer(turn: Turn, near: str | tuple[float, float]) -> list[Reply]:
    """The nearest free cars, numbered; a place with none asks for another."""
    backend = turn.backend
    if not isinstance(backend, VehicleSearch):
        return to_menu(turn, NOT_HERE)
    said = near if isinstance(near, str) else "your location"
    cars = backend.vehicles_near(
        near, limit=NEAREST_SMS if turn.profile.pays_per_segment else NEAREST
    )
    if not cars:
        turn.goto(State.BOOK_NEAR)
        where = f"near {said}" if isinstance(near, str) else "within reach of your location"
        return [Reply(f"I can't find a free car {where}. {prompt_near(turn).text}")]
    labels = [car_label(turn, car) for car in cars]
    turn.session.data = {
        "near": said,
        "cars": [
            [car.id, car.name, car.address or "", label]
            for car, label in zip(cars, labels, strict=True)
        ],
    }
    turn.goto(State.BOOK_VEHICLE)
    return [prompt(turn)]


def car_label(turn: Turn, car: Vehicle) -> str:
    """'UL-C5713, Blaubeurer Strasse 128, 350 m, fuel 90%, combustion'."""
    parts = [car.name]
    if car.address:
        street = car.address.split(",")[0].strip()
        parts.append(street if turn.profile.pays_per_segment else car.address)
    if car.distance_m is not None:
        parts.append(
            f"{car.distance_m} m" if car.distance_m < 1000 else f"{car.distance_m / 1000:.1f} km"
        )
    details = dict(car.details)
    if "Fuel" in details:
        parts.append(f"fuel {details['Fuel']}")
    if "Engine" in details:
        parts.append(details["Engine"])
    if details.get("Charging") == "yes":
        parts.append("charging")
    return ", ".join(parts)


def shown(turn: Turn) -> list[Vehicle]:
    """The cars on screen, as kept in the session (enough to show them again)."""
    return [
        Vehicle(id=vin, name=plate, address=address or None)
        for vin, plate, address, _ in turn.session.data.get("cars", [])
    ]


def search_words(text: str) -> str:
    """The place in 'a car near Blaubeurer Strasse' (or the text itself)."""
    lowered = text.strip()
    for word in ("a car", "car", "a vehicle", "vehicle"):
        if lowered.lower().startswith(word + " "):
            lowered = lowered[len(word) + 1 :]
            break
    for word in NEAR_WORDS:
        if lowered.lower().startswith(word):
            return lowered[len(word) :].strip()
    return lowered if lowered.lower() not in ("a car", "car", "") else ""


# --- reserving ------------------------------------------------------------------------------


def reserve(turn: Turn, vin: str) -> list[Reply]:
    offered = {car.id: car for car in shown(turn)}
    car = offered.get(vin)
    if car is None:
        return ask_again(turn, "That car is no longer on the list.")
    service = vehicle_service(turn.catalogue)
    if service is None:
        return to_menu(turn, NOT_HERE)
    request = BookingRequest(service_id=service.id, start=turn.now, vehicle_id=vin)
    key = f"car-{vin}-{secrets.token_hex(6)}"  # the backend finds a lost reservation by VIN
    try:
        booking = turn.backend.create_booking(turn.customer, request, key)
    except Rejected as refusal:
        return ask_again(turn, refusal.message)
    turn.session.data = {}
    where = place(booking) or car.address or ""
    at = f" at {where}" if where else ""
    return to_menu(
        turn,
        f"Reserved: {car.name}{at} (booking #{booking.id}). Driving is charged by the minute "
        "once you start; send CANCEL if you change your mind.",
    )


def nothing_reserved(turn: Turn) -> list[Reply]:
    turn.session.data = {}
    return to_menu(turn, "OK, nothing reserved.")
