"""The demo catalogue, customers and bookings, placed relative to now so they never go stale."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert

from bot.backends.builtin import policy, schema
from bot.backends.builtin.pins import PinHasher
from bot.backends.builtin.writes import insert_bookings
from bot.backends.protocol import BookingStatus, Extra, Frequency, Money, Service

OVEN = Extra("oven", "Oven clean", Money(2500), max_quantity=2)
FRIDGE = Extra("fridge", "Inside fridge", Money(1500), max_quantity=1)
WINDOWS = Extra("windows", "Interior windows", Money(2000), max_quantity=1)
IRONING = Extra("ironing", "Ironing (per hour)", Money(1800), max_quantity=3)

SERVICES = (
    Service(
        "standard-clean",
        "Standard clean",
        Money(6000),
        "address",
        (OVEN, FRIDGE, WINDOWS, IRONING),
        duration_minutes=120,
    ),
    Service("deep-clean", "Deep clean", Money(12000), "address", (OVEN, FRIDGE), 240),
    Service("airport-transfer", "Airport transfer", Money(4500), "ride", (), 60),
    Service("city-ride", "City ride", Money(1200), "ride", (), 30),
)

FREQUENCIES = (
    Frequency("one-off", "One-off", None, 0),
    Frequency("weekly", "Weekly", 7, 10),
    Frequency("fortnightly", "Fortnightly", 14, 5),
)


@dataclass(frozen=True)
class Place:
    address: str | None = None
    city: str | None = None
    postcode: str | None = None
    pickup: str | None = None
    dropoff: str | None = None


@dataclass(frozen=True)
class DemoCustomer:
    phone: str
    pin: str
    name: str
    email: str
    home: Place
    late_service: str
    late_place: Place
    transfer: Place
    past_service: str
    past_place: Place
    past_extras: dict[str, int] = field(default_factory=dict)


ALEX = DemoCustomer(
    phone="447700900123",
    pin="1234",
    name="Alex Morgan",
    email="alex.morgan@example.com",
    home=Place("12 High Street", "Kingston upon Thames", "KT1 1LQ"),
    late_service="city-ride",
    late_place=Place(pickup="Wood St, Kingston upon Thames", dropoff="Surbiton Station, Surbiton"),
    transfer=Place(pickup="12 High Street, Kingston upon Thames", dropoff="Heathrow Terminal 5"),
    past_service="deep-clean",
    past_place=Place("12 High Street", "Kingston upon Thames", "KT1 1LQ"),
    past_extras={"oven": 1},
)

SAM = DemoCustomer(
    phone="15555550123",
    pin="987654",
    name="Sam Rivera",
    email="sam.rivera@example.com",
    home=Place("350 W 42nd St, Apt 12B", "New York, NY", "10036"),
    late_service="standard-clean",
    late_place=Place("350 W 42nd St, Apt 12B", "New York, NY", "10036"),
    transfer=Place(pickup="350 W 42nd St, New York", dropoff="JFK Airport Terminal 4"),
    past_service="city-ride",
    past_place=Place(pickup="Grand Central Terminal, New York", dropoff="Brooklyn Museum"),
)

CUSTOMERS = (ALEX, SAM)
SERIES_VISITS = 4
UNPEPPERED = PinHasher()
"""For seeding outside a backend; the backend re-hashes with its pepper at each first login."""


def next_half_hour(moment: datetime) -> datetime:
    floor = moment.replace(minute=moment.minute - moment.minute % 30, second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(minutes=30)


def _local(now: datetime, tz: ZoneInfo, days: int, at: time) -> datetime:
    day = now.astimezone(tz).date() + timedelta(days=days)
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def seed(
    conn: Connection, now: datetime, tz: ZoneInfo, currency: str, pins: PinHasher = UNPEPPERED
) -> None:
    """Insert the catalogue and the demo customers with their bookings into empty tables."""
    _seed_catalogue(conn)
    for offset, customer in enumerate(CUSTOMERS):
        seed_customer(conn, customer, now, tz, currency, late_hours=5 + offset, pins=pins)


def _seed_catalogue(conn: Connection) -> None:
    conn.execute(
        insert(schema.services),
        [
            {
                "id": service.id,
                "name": service.name,
                "kind": service.kind,
                "price_minor": service.price.minor,
                "duration_minutes": service.duration_minutes,
                "sort": sort,
            }
            for sort, service in enumerate(SERVICES)
        ],
    )
    conn.execute(
        insert(schema.extras),
        [
            {
                "service_id": service.id,
                "id": extra.id,
                "name": extra.name,
                "price_minor": extra.price.minor,
                "max_quantity": extra.max_quantity,
                "sort": sort,
            }
            for service in SERVICES
            for sort, extra in enumerate(service.extras)
        ],
    )
    conn.execute(
        insert(schema.frequencies),
        [
            {
                "id": frequency.id,
                "name": frequency.name,
                "interval_days": frequency.interval_days,
                "discount_percent": frequency.discount_percent,
                "sort": sort,
            }
            for sort, frequency in enumerate(FREQUENCIES)
        ],
    )


def seed_customer(
    conn: Connection,
    customer: DemoCustomer,
    now: datetime,
    tz: ZoneInfo,
    currency: str,
    late_hours: int,
    pins: PinHasher = UNPEPPERED,
) -> None:
    pin_hash, pin_salt = pins.demo_hash(customer.pin)
    customer_id = conn.execute(
        insert(schema.customers).values(
            phone=customer.phone,
            name=customer.name,
            email=customer.email,
            pin_hash=pin_hash,
            pin_salt=pin_salt,
        )
    ).inserted_primary_key[0]
    created = now - timedelta(days=14)
    series_id = conn.execute(
        insert(schema.series).values(
            customer_id=customer_id, frequency_id="weekly", created_at=created
        )
    ).inserted_primary_key[0]
    rows: list[dict[str, Any]] = []
    extras: list[list[tuple[str, int]]] = []

    def add(
        service_id: str,
        start: datetime,
        place: Place,
        *,
        frequency_id: str = "one-off",
        in_series: bool = False,
        chosen_extras: dict[str, int] | None = None,
        status: BookingStatus = BookingStatus.BOOKED,
    ) -> None:
        service = next(s for s in SERVICES if s.id == service_id)
        frequency = next(f for f in FREQUENCIES if f.id == frequency_id)
        chosen = [(e, n) for e in service.extras if (n := (chosen_extras or {}).get(e.id))]
        quote = policy.price(service, chosen, frequency, currency)
        rows.append(
            {
                "customer_id": customer_id,
                "service_id": service_id,
                "start": start,
                "status": status.value,
                "address": place.address,
                "city": place.city,
                "postcode": place.postcode,
                "pickup": place.pickup,
                "dropoff": place.dropoff,
                "price_minor": quote.total.minor,
                "currency": currency,
                "frequency_id": frequency_id,
                "series_id": series_id if in_series else None,
                "created_at": created,
            }
        )
        extras.append([(extra.id, quantity) for extra, quantity in chosen])

    add(
        customer.past_service,
        _local(now, tz, -3, time(9, 0)),
        customer.past_place,
        chosen_extras=customer.past_extras,
        status=BookingStatus.COMPLETED,
    )
    add(
        customer.late_service,
        next_half_hour(now + timedelta(hours=late_hours)),
        customer.late_place,
    )
    first_visit = _local(now, tz, 3, time(10, 0))
    for start in policy.visit_starts(first_visit, 7, SERIES_VISITS, tz):
        add("standard-clean", start, customer.home, frequency_id="weekly", in_series=True)
    add("airport-transfer", _local(now, tz, 5, time(7, 30)), customer.transfer)
    insert_bookings(conn, rows, extras)
