"""The built-in backend against the BookingBackend contract, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.backends.builtin import BuiltinBackend, schema
from bot.backends.builtin.pins import scrypt_hash
from bot.backends.protocol import (
    BackendUnavailable,
    Booking,
    BookingBackend,
    BookingNotFound,
    BookingRequest,
    BookingStatus,
    Capability,
    ConfirmationRequired,
    Customer,
    InvalidCredentials,
    Money,
    NotCancellable,
    Rejected,
)
from bot.config import Settings

ALEX = Customer(id="1", name="Alex Morgan", phone="447700900123", email="alex.morgan@example.com")
SAM = Customer(id="2", name="Sam Rivera", phone="15555550123", email="sam.rivera@example.com")
PINS = {ALEX.phone: "1234", SAM.phone: "987654"}
DAY = timedelta(days=1)


@pytest.fixture(
    params=["sqlite-memory", "sqlite-file", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite-memory":
        return "sqlite://"
    if request.param == "sqlite-file":
        return f"sqlite:///{tmp_path / 'bookings.sqlite3'}"
    return request.getfixturevalue("postgres_url")


FAST_PINS = {"pin_hash_time_cost": 1, "pin_hash_memory_kib": 1024}
"""Cheap argon2id parameters: these tests are about the store, not the hash's cost."""


@pytest.fixture
def make(database_url: str, clock: Any) -> Iterator[Callable[..., BuiltinBackend]]:
    made: list[BuiltinBackend] = []

    def make(**changes: Any) -> BuiltinBackend:
        settings = Settings(**{**FAST_PINS, **changes})
        backend = BuiltinBackend(database_url, settings=settings, clock=clock)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


@pytest.fixture
def backend(make: Callable[..., BuiltinBackend]) -> BuiltinBackend:
    return make()


def skip_if_private(database_url: str) -> None:
    if database_url == "sqlite://":
        pytest.skip("each in-memory database is private to its backend")


def count(backend: BuiltinBackend, table: Any = schema.bookings) -> int:
    with backend._engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def by_service(backend: BuiltinBackend, customer: Customer, service: str) -> list[Booking]:
    found = [b for b in backend.recent_bookings(customer) if b.service == service]
    return sorted(found, key=lambda b: b.start)


def late_booking(backend: BuiltinBackend, customer: Customer, now: datetime) -> Booking:
    return next(
        b
        for b in backend.recent_bookings(customer)
        if b.series_id is None and now < b.start < now + DAY
    )


def series_visits(backend: BuiltinBackend, customer: Customer) -> list[Booking]:
    found = [b for b in backend.recent_bookings(customer) if b.series_id is not None]
    return sorted(found, key=lambda b: b.start)


def clean_request(start: datetime, **changes: Any) -> BookingRequest:
    request = BookingRequest(
        service_id="standard-clean",
        start=start,
        address="12 High Street",
        city="Kingston upon Thames",
        postcode="KT1 1LQ",
    )
    return replace(request, **changes)


def ride_request(start: datetime, **changes: Any) -> BookingRequest:
    request = BookingRequest(
        service_id="city-ride", start=start, pickup="Wood St", dropoff="Kingston station"
    )
    return replace(request, **changes)


# --- demo data ----------------------------------------------------------------------------------


def test_is_a_booking_backend(backend: BuiltinBackend) -> None:
    assert isinstance(backend, BookingBackend)
    assert backend.name == "builtin"
    assert backend.login_method.identifier == "phone"
    assert backend.capabilities == {
        Capability.LIST,
        Capability.BOOK,
        Capability.CANCEL,
        Capability.TRACK,
    }


@pytest.mark.parametrize("customer", [ALEX, SAM], ids=["alex", "sam"])
def test_demo_has_every_kind_of_booking(
    backend: BuiltinBackend, clock: Any, customer: Customer
) -> None:
    now = clock.now
    bookings = backend.recent_bookings(customer)
    assert [b.start for b in bookings] == sorted((b.start for b in bookings), reverse=True)
    assert all(b.start.tzinfo is not None and b.start.utcoffset() == timedelta(0) for b in bookings)

    late = [b for b in bookings if b.status == BookingStatus.BOOKED and b.start - now < DAY]
    assert len(late) == 1 and late[0].start > now and late[0].series_id is None

    series = [b for b in bookings if b.series_id is not None]
    assert len(series) >= 2 and {b.series_id for b in series} == {series[0].series_id}
    assert all(b.frequency == "Weekly" and b.start - now > DAY for b in series)
    assert all(b.status == BookingStatus.BOOKED for b in series)

    ahead = [b for b in bookings if b.series_id is None and b.start - now > DAY]
    assert ahead and all(b.status == BookingStatus.BOOKED and b.frequency is None for b in ahead)

    past = [b for b in bookings if b.start < now]
    assert past and all(b.status == BookingStatus.COMPLETED for b in past)
    assert all(b.price is not None and b.price.minor > 0 for b in bookings)


def test_demo_details_of_alex(backend: BuiltinBackend, clock: Any) -> None:
    bookings = backend.recent_bookings(ALEX)
    late = late_booking(backend, ALEX, clock.now)
    assert (late.service, late.pickup, late.dropoff) == (
        "City ride",
        "Wood St, Kingston upon Thames",
        "Surbiton Station, Surbiton",
    )
    visits = series_visits(backend, ALEX)
    assert len(visits) == 4
    assert [v.start - visits[0].start for v in visits] == [timedelta(days=7 * k) for k in range(4)]
    assert visits[0].address == "12 High Street, Kingston upon Thames, KT1 1LQ"
    assert visits[0].price == Money(5400)
    transfer = by_service(backend, ALEX, "Airport transfer")[0]
    assert transfer.dropoff == "Heathrow Terminal 5" and transfer.address is None
    past = bookings[-1]
    assert past.status == BookingStatus.COMPLETED and past.extras == ("Oven clean",)
    assert min(int(b.id) for b in bookings) == 1001


def test_recent_bookings_limit_keeps_newest(backend: BuiltinBackend, clock: Any) -> None:
    newest = backend.create_booking(ALEX, clean_request(clock.now + 50 * DAY), "far-ahead")
    everything = backend.recent_bookings(ALEX)
    assert everything[0] == newest
    assert [b.start for b in everything] == sorted((b.start for b in everything), reverse=True)
    assert backend.recent_bookings(ALEX, limit=3) == everything[:3]
    assert backend.recent_bookings(ALEX, limit=1) == [newest]
    assert backend.recent_bookings(ALEX, limit=0) == []


def test_customers_see_only_their_own_bookings(backend: BuiltinBackend) -> None:
    alex_ids = {b.id for b in backend.recent_bookings(ALEX)}
    sam_ids = {b.id for b in backend.recent_bookings(SAM)}
    assert alex_ids and sam_ids and not alex_ids & sam_ids


def test_booked_booking_reads_completed_once_its_time_passes(
    backend: BuiltinBackend, clock: Any
) -> None:
    late = late_booking(backend, ALEX, clock.now)
    clock.advance(hours=6)
    assert backend.booking(ALEX, late.id).status == BookingStatus.COMPLETED


def test_reset_demo_starts_over(backend: BuiltinBackend, clock: Any) -> None:
    original = backend.recent_bookings(ALEX)
    backend.cancel_booking(ALEX, by_service(backend, ALEX, "Airport transfer")[0].id)
    backend.create_booking(ALEX, clean_request(clock.now + 2 * DAY), "k1")
    clock.advance(hours=1)
    backend.reset_demo()
    again = backend.recent_bookings(ALEX)
    assert [b.id for b in again] == [b.id for b in original]
    assert all(b.status != BookingStatus.CANCELLED for b in again)
    assert again[0].start == original[0].start
    assert backend.login(ALEX.phone, "1234") == ALEX
    assert backend.ensure_demo() is False


def test_demo_is_loaded_once_per_database(
    database_url: str, make: Callable[..., BuiltinBackend], clock: Any
) -> None:
    skip_if_private(database_url)
    first = make()
    booking = first.create_booking(ALEX, clean_request(clock.now + 2 * DAY), "k1")
    first.close()
    customers = count(first, schema.customers)
    second = make()
    assert second.booking(ALEX, booking.id) == booking
    assert count(second, schema.customers) == customers


def test_catalogue(backend: BuiltinBackend) -> None:
    catalogue = backend.catalogue()
    assert [s.id for s in catalogue.services] == [
        "standard-clean",
        "deep-clean",
        "airport-transfer",
        "city-ride",
    ]
    standard = catalogue.service("standard-clean")
    assert standard is not None and standard.price == Money(6000) and standard.kind == "address"
    assert {e.id for e in standard.extras} >= {"oven", "fridge", "windows"}
    ride = catalogue.service("airport-transfer")
    assert ride is not None and ride.kind == "ride" and ride.price == Money(4500)
    assert [(f.id, f.interval_days, f.discount_percent) for f in catalogue.frequencies] == [
        ("one-off", None, 0),
        ("weekly", 7, 10),
        ("fortnightly", 14, 5),
    ]
    assert catalogue.window.min_notice == timedelta(hours=2)
    assert backend.catalogue() is catalogue


def test_currency_comes_from_settings(make: Callable[..., BuiltinBackend], clock: Any) -> None:
    backend = make(currency="USD")
    assert backend.catalogue().services[0].price == Money(6000, "USD")
    assert backend.recent_bookings(SAM)[0].price == Money(5400, "USD")
    quote = backend.quote(SAM, ride_request(clock.now + DAY))
    assert quote.total == Money(1200, "USD")


# --- login --------------------------------------------------------------------------------------


@pytest.mark.parametrize("customer", [ALEX, SAM], ids=["alex", "sam"])
def test_login(backend: BuiltinBackend, customer: Customer) -> None:
    assert customer.phone is not None
    assert backend.login(customer.phone, PINS[customer.phone]) == customer


def test_login_tolerates_a_plus_and_spaces(backend: BuiltinBackend) -> None:
    assert backend.login("+44 7700 900123", "1234") == ALEX


@pytest.mark.parametrize(
    ("phone", "pin"),
    [("447700900123", "4321"), ("447700900123", "987654"), ("447700900999", "1234"), ("", "1234")],
    ids=["wrong-pin", "other-customers-pin", "unknown-phone", "empty-phone"],
)
def test_login_refused(backend: BuiltinBackend, phone: str, pin: str) -> None:
    with pytest.raises(InvalidCredentials):
        backend.login(phone, pin)


def pin_rows(backend: BuiltinBackend) -> dict[str, Any]:
    with backend._engine.connect() as conn:
        return {row.phone: row for row in conn.execute(select(schema.customers))}


def test_pins_are_stored_as_argon2id_hashes_with_their_parameters(
    make: Callable[..., BuiltinBackend],
) -> None:
    backend = make(pin_pepper="pepper-for-the-tests-0123456789")
    rows = pin_rows(backend)
    assert set(rows) == set(PINS)
    for phone, row in rows.items():
        assert row.pin_hash.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
        assert PINS[phone] not in row.pin_hash.split("$", 4)[-1]
        assert row.pin_salt.startswith("pepper:") and row.pin_salt != "pepper:none"
        assert "pepper-for-the-tests" not in row.pin_salt
    assert len({row.pin_hash for row in rows.values()}) == len(rows)


def set_pin_hash(backend: BuiltinBackend, phone: str, pin_hash: str, pin_salt: str) -> None:
    customers = schema.customers
    with backend._engine.begin() as conn:
        conn.execute(
            customers.update()
            .where(customers.c.phone == phone)
            .values(pin_hash=pin_hash, pin_salt=pin_salt)
        )


def test_an_old_scrypt_hash_still_logs_in_and_becomes_argon2id(
    make: Callable[..., BuiltinBackend],
) -> None:
    backend = make(pin_pepper="pepper-for-the-tests-0123456789")
    set_pin_hash(backend, ALEX.phone or "", *scrypt_hash("1234", os.urandom(16)))
    with pytest.raises(InvalidCredentials):
        backend.login(ALEX.phone or "", "4321")
    assert not pin_rows(backend)[ALEX.phone].pin_hash.startswith("$argon2id$")

    assert backend.login(ALEX.phone or "", "1234") == ALEX
    upgraded = pin_rows(backend)[ALEX.phone]
    assert upgraded.pin_hash.startswith("$argon2id$") and upgraded.pin_salt != "pepper:none"
    assert backend.login(ALEX.phone or "", "1234") == ALEX
    assert pin_rows(backend)[ALEX.phone].pin_hash == upgraded.pin_hash  # upgraded once


def test_setting_a_pepper_later_upgrades_each_hash_at_its_next_login(
    database_url: str, make: Callable[..., BuiltinBackend]
) -> None:
    skip_if_private(database_url)
    quick_start = make()
    before = pin_rows(quick_start)
    assert {row.pin_salt for row in before.values()} == {"pepper:none"}
    production = make(pin_pepper="pepper-for-the-tests-0123456789")
    assert production.login(ALEX.phone or "", "1234") == ALEX
    after = pin_rows(production)
    assert after[ALEX.phone].pin_salt not in ("pepper:none", before[ALEX.phone].pin_salt)
    assert after[SAM.phone] == before[SAM.phone]  # not logged in yet: unchanged
    # Rotation: the new pepper first, the old one still verifies and is replaced at login.
    rotated = make(pin_pepper="another-pepper-for-tests-98765,pepper-for-the-tests-0123456789")
    assert rotated.login(ALEX.phone or "", "1234") == ALEX
    assert pin_rows(rotated)[ALEX.phone].pin_salt != after[ALEX.phone].pin_salt
    assert rotated.login(SAM.phone or "", "987654") == SAM


def test_a_hash_whose_pepper_is_gone_is_unavailable_not_a_wrong_pin(
    database_url: str, make: Callable[..., BuiltinBackend], caplog: pytest.LogCaptureFixture
) -> None:
    skip_if_private(database_url)
    make(pin_pepper="pepper-for-the-tests-0123456789").login(ALEX.phone or "", "1234")
    without = make()
    with pytest.raises(BackendUnavailable):
        without.login(ALEX.phone or "", "1234")
    assert "pepper not in PIN_PEPPER" in caplog.text
    assert "pepper-for-the-tests" not in caplog.text and "1234" not in caplog.text


# --- quotes and validation ----------------------------------------------------------------------


def test_quote_with_extras_and_weekly_discount(backend: BuiltinBackend, clock: Any) -> None:
    request = clean_request(
        clock.now + 2 * DAY, frequency_id="weekly", extras={"fridge": 1, "oven": 2}
    )
    quote = backend.quote(ALEX, request)
    assert quote.lines == (
        ("Standard clean", Money(6000)),
        ("Oven clean x2", Money(5000)),
        ("Inside fridge", Money(1500)),
        ("Weekly discount", Money(-1250)),
    )
    assert quote.total == Money(11250)


def test_quote_fortnightly_and_one_off(backend: BuiltinBackend, clock: Any) -> None:
    start = clock.now + 2 * DAY
    deep = clean_request(start, service_id="deep-clean", frequency_id="fortnightly")
    assert backend.quote(ALEX, deep).total == Money(11400)
    ride = backend.quote(ALEX, ride_request(start))
    assert ride.lines == (("City ride", Money(1200)),) and ride.total == Money(1200)
    assert backend.quote(ALEX, ride_request(start, frequency_id="one-off")).total == Money(1200)


def _at_london(clock: Any, days: int, hour: int, minute: int = 0) -> datetime:
    # The clock starts in November, when London time is UTC.
    return (clock.now + days * DAY).replace(hour=hour, minute=minute)


INVALID: dict[str, tuple[Callable[[Any], BookingRequest], str]] = {
    "unknown-service": (lambda c: clean_request(c.now + DAY, service_id="ironing"), "service"),
    "extra-of-another-service": (
        lambda c: clean_request(c.now + DAY, service_id="deep-clean", extras={"windows": 1}),
        "extras",
    ),
    "unknown-extra": (lambda c: clean_request(c.now + DAY, extras={"sauna": 1}), "extras"),
    "zero-extras": (lambda c: clean_request(c.now + DAY, extras={"oven": 0}), "extras"),
    "too-many-extras": (lambda c: clean_request(c.now + DAY, extras={"oven": 3}), "extras"),
    "extra-on-a-ride": (lambda c: ride_request(c.now + DAY, extras={"oven": 1}), "extras"),
    "unknown-frequency": (lambda c: clean_request(c.now + DAY, frequency_id="daily"), "frequency"),
    "in-the-past": (lambda c: clean_request(c.now - timedelta(hours=1)), "start"),
    "too-soon": (lambda c: clean_request(c.now + timedelta(minutes=90)), "start"),
    "too-far-ahead": (lambda c: clean_request(c.now + 61 * DAY), "start"),
    "before-opening": (lambda c: clean_request(_at_london(c, 1, 6, 30)), "start"),
    "after-closing": (lambda c: clean_request(_at_london(c, 1, 20, 30)), "start"),
    "no-address": (lambda c: clean_request(c.now + DAY, address=" "), "address"),
    "no-pickup": (lambda c: ride_request(c.now + DAY, pickup=None), "pickup"),
    "no-dropoff": (lambda c: ride_request(c.now + DAY, dropoff=""), "dropoff"),
}


@pytest.fixture(scope="module")
def shared_backend() -> Iterator[BuiltinBackend]:
    """One in-memory store for the checks that never write: validation is the same on every DB."""
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    backend = BuiltinBackend("sqlite://", settings=Settings(**FAST_PINS), clock=lambda: now)
    yield backend
    backend.close()


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_requests_are_rejected(shared_backend: BuiltinBackend, case: str) -> None:
    make_request, field = INVALID[case]
    request = make_request(SimpleNamespace(now=shared_backend._now()))
    before = count(shared_backend)
    with pytest.raises(Rejected) as quoted:
        shared_backend.quote(ALEX, request)
    assert set(quoted.value.fields) == {field}
    assert quoted.value.message == quoted.value.fields[field]
    with pytest.raises(Rejected) as created:
        shared_backend.create_booking(ALEX, request, f"key-{case}")
    assert set(created.value.fields) == {field}
    assert count(shared_backend) == before


def test_invalid_request_creates_nothing(backend: BuiltinBackend, clock: Any) -> None:
    before = count(backend)
    for make_request, field in INVALID.values():
        with pytest.raises(Rejected) as rejected:
            backend.create_booking(ALEX, make_request(clock), "invalid")
        assert set(rejected.value.fields) == {field}
    assert count(backend) == before


def test_every_problem_is_reported_at_once(backend: BuiltinBackend, clock: Any) -> None:
    request = ride_request(clock.now, pickup=None, dropoff=None, frequency_id="hourly")
    with pytest.raises(Rejected) as rejected:
        backend.quote(ALEX, request)
    assert set(rejected.value.fields) == {"pickup", "dropoff", "frequency", "start"}


def test_opening_hours_are_local_time(make: Callable[..., BuiltinBackend], clock: Any) -> None:
    evening_utc = _at_london(clock, 1, 22)
    london = make(timezone="Europe/London")
    with pytest.raises(Rejected):
        london.quote(ALEX, clean_request(evening_utc))
    new_york = make(timezone="America/New_York")
    assert new_york.quote(ALEX, clean_request(evening_utc)).total == Money(6000)


def test_window_edges_are_accepted(backend: BuiltinBackend, clock: Any) -> None:
    for start in (_at_london(clock, 1, 7), _at_london(clock, 1, 20), clock.now + 60 * DAY):
        assert backend.quote(ALEX, clean_request(start)).total == Money(6000)


# --- creating -----------------------------------------------------------------------------------


def test_create_one_off(backend: BuiltinBackend, clock: Any) -> None:
    start = clock.now + 2 * DAY
    request = clean_request(start, extras={"oven": 2, "windows": 1}, note="Key under the mat")
    booking = backend.create_booking(ALEX, request, "key-1")
    assert int(booking.id) > 1014
    assert booking.status == BookingStatus.BOOKED and booking.start == start
    assert booking.service == "Standard clean"
    assert booking.address == "12 High Street, Kingston upon Thames, KT1 1LQ"
    assert booking.extras == ("Oven clean x2", "Interior windows")
    assert booking.price == Money(13000)
    assert booking.frequency is None and booking.series_id is None
    assert backend.booking(ALEX, booking.id) == booking
    assert backend.booking(ALEX, f"#{booking.id}") == booking
    assert booking in backend.recent_bookings(ALEX)


def test_create_ride(backend: BuiltinBackend, clock: Any) -> None:
    request = ride_request(clock.now + DAY, location=(51.41, -0.30))
    booking = backend.create_booking(SAM, request, "ride-1")
    assert (booking.pickup, booking.dropoff, booking.address) == (
        "Wood St",
        "Kingston station",
        None,
    )
    assert booking.price == Money(1200)


def test_create_is_idempotent(backend: BuiltinBackend, clock: Any) -> None:
    request = clean_request(clock.now + 2 * DAY)
    before = count(backend)
    first = backend.create_booking(ALEX, request, "same-key")
    clock.advance(days=3)  # a retry after the start has passed still finds the original
    assert backend.create_booking(ALEX, request, "same-key").id == first.id
    assert count(backend) == before + 1


def test_idempotency_keys_belong_to_one_customer(backend: BuiltinBackend, clock: Any) -> None:
    request = clean_request(clock.now + 2 * DAY)
    alex = backend.create_booking(ALEX, request, "shared-key")
    sam = backend.create_booking(SAM, request, "shared-key")
    other = backend.create_booking(ALEX, request, "another-key")
    assert len({alex.id, sam.id, other.id}) == 3


def test_racing_creates_with_one_key_make_one_booking(backend: BuiltinBackend, clock: Any) -> None:
    request = clean_request(clock.now + 2 * DAY)
    before = count(backend)
    barrier = threading.Barrier(4)
    results: list[str] = []
    errors: list[BaseException] = []

    def create() -> None:
        barrier.wait()
        try:
            results.append(backend.create_booking(ALEX, request, "race-key").id)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert len(results) == 4 and len(set(results)) == 1
    assert count(backend) == before + 1


def test_losing_the_race_returns_the_winner(
    backend: BuiltinBackend, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = clean_request(clock.now + 2 * DAY)
    before = count(backend)
    winner = backend.create_booking(ALEX, request, "race-key")
    real_by_key = backend._by_key
    calls: list[str] = []

    def stale_first(customer_id: int, key: str) -> Booking | None:
        calls.append(key)
        return None if len(calls) == 1 else real_by_key(customer_id, key)

    monkeypatch.setattr(backend, "_by_key", stale_first)
    assert backend.create_booking(ALEX, request, "race-key") == winner
    assert len(calls) == 2
    assert count(backend) == before + 1


@pytest.mark.parametrize(
    ("frequency", "days", "price"), [("weekly", 7, 5400), ("fortnightly", 14, 5700)]
)
def test_create_series_writes_six_visits(
    backend: BuiltinBackend, clock: Any, frequency: str, days: int, price: int
) -> None:
    start = clock.now + 2 * DAY
    before = count(backend)
    first = backend.create_booking(ALEX, clean_request(start, frequency_id=frequency), "series")
    assert first.start == start and first.series_id is not None
    assert first.frequency == frequency.capitalize() and first.price == Money(price)
    visits = [v for v in series_visits(backend, ALEX) if v.series_id == first.series_id]
    assert [v.start for v in visits] == [start + k * days * DAY for k in range(6)]
    assert visits[0] == first
    assert all(v.price == Money(price) and v.status == BookingStatus.BOOKED for v in visits)
    again = backend.create_booking(ALEX, clean_request(start, frequency_id=frequency), "series")
    assert again == first
    assert count(backend) == before + 6


def test_series_keeps_local_time_across_the_clock_change(
    backend: BuiltinBackend, clock: Any
) -> None:
    clock.now = datetime(2027, 3, 20, 9, 0, tzinfo=UTC)
    start = datetime(2027, 3, 22, 10, 0, tzinfo=UTC)  # 10:00 GMT, and 10:00 BST after the 28th
    first = backend.create_booking(ALEX, clean_request(start, frequency_id="weekly"), "dst")
    visits = [v for v in series_visits(backend, ALEX) if v.series_id == first.series_id]
    assert [v.start.hour for v in visits] == [10, 9, 9, 9, 9, 9]


# --- cancelling ---------------------------------------------------------------------------------


def test_cancel_one_off_well_ahead(backend: BuiltinBackend) -> None:
    transfer = by_service(backend, ALEX, "Airport transfer")[0]
    result = backend.cancel_booking(ALEX, transfer.id)
    assert [b.id for b in result.cancelled] == [transfer.id]
    assert result.cancelled[0].status == BookingStatus.CANCELLED
    assert result.fee is None and result.next_remaining is None
    assert backend.booking(ALEX, transfer.id).status == BookingStatus.CANCELLED


def test_late_cancel_needs_the_current_fee(backend: BuiltinBackend, clock: Any) -> None:
    late = late_booking(backend, ALEX, clock.now)
    with pytest.raises(ConfirmationRequired) as asked:
        backend.cancel_booking(ALEX, late.id)
    assert asked.value.reason == "late" and asked.value.fee == Money(1500)
    assert asked.value.message == "A late cancellation fee of £15.00 applies."
    assert asked.value.booking == late
    with pytest.raises(ConfirmationRequired) as again:
        backend.cancel_booking(ALEX, late.id, confirm_fee=Money(1000))
    assert again.value.fee == Money(1500)
    assert backend.booking(ALEX, late.id).status == BookingStatus.BOOKED

    result = backend.cancel_booking(ALEX, late.id, confirm_fee=Money(1500))
    assert result.fee == Money(1500) and [b.id for b in result.cancelled] == [late.id]
    assert backend.booking(ALEX, late.id).status == BookingStatus.CANCELLED
    with backend._engine.connect() as conn:
        row = conn.execute(
            select(schema.bookings).where(schema.bookings.c.id == int(late.id))
        ).one()
    assert row.cancellation_fee_minor == 1500 and row.cancelled_at == clock.now


def test_late_window_follows_the_clock(backend: BuiltinBackend, clock: Any) -> None:
    transfer = by_service(backend, ALEX, "Airport transfer")[0]
    clock.now = transfer.start - timedelta(hours=23, minutes=59)
    with pytest.raises(ConfirmationRequired):
        backend.cancel_booking(ALEX, transfer.id)
    clock.now = transfer.start - timedelta(hours=24)
    assert backend.cancel_booking(ALEX, transfer.id).fee is None


@pytest.mark.parametrize(("rule", "fee"), [("50%", 3000), ("12.5%", 750), ("7.50", 750)])
def test_fee_rules(make: Callable[..., BuiltinBackend], clock: Any, rule: str, fee: int) -> None:
    backend = make(late_cancel_fee=rule)
    late = late_booking(backend, SAM, clock.now)
    assert late.price == Money(6000)
    with pytest.raises(ConfirmationRequired) as asked:
        backend.cancel_booking(SAM, late.id)
    assert asked.value.fee == Money(fee)
    assert backend.cancel_booking(SAM, late.id, confirm_fee=Money(fee)).fee == Money(fee)


def test_no_fee_means_no_question(make: Callable[..., BuiltinBackend], clock: Any) -> None:
    backend = make(late_cancel_fee="0")
    late = late_booking(backend, SAM, clock.now)
    assert backend.cancel_booking(SAM, late.id).fee is None


def test_series_visit_asks_then_cancels_one(backend: BuiltinBackend) -> None:
    first, second, *_ = visits = series_visits(backend, ALEX)
    with pytest.raises(ConfirmationRequired) as asked:
        backend.cancel_booking(ALEX, first.id)
    assert asked.value.reason == "recurring" and asked.value.fee is None
    assert "series" in asked.value.message
    result = backend.cancel_booking(ALEX, first.id, recurring=True)
    assert [b.id for b in result.cancelled] == [first.id]
    assert result.next_remaining == second
    after = series_visits(backend, ALEX)
    assert [b.status for b in after] == [BookingStatus.CANCELLED] + [BookingStatus.BOOKED] * (
        len(visits) - 1
    )


def test_series_visit_and_all_future_ones(backend: BuiltinBackend) -> None:
    first, second, *later = series_visits(backend, ALEX)
    result = backend.cancel_booking(ALEX, second.id, recurring=True, future=True)
    assert [b.id for b in result.cancelled] == [second.id] + [b.id for b in later]
    assert all(b.status == BookingStatus.CANCELLED for b in result.cancelled)
    assert result.fee is None
    assert result.next_remaining == first
    assert backend.booking(ALEX, first.id).status == BookingStatus.BOOKED


def test_cancelling_the_whole_series_leaves_nothing(backend: BuiltinBackend) -> None:
    visits = series_visits(backend, ALEX)
    result = backend.cancel_booking(ALEX, visits[0].id, recurring=True, future=True)
    assert [b.id for b in result.cancelled] == [b.id for b in visits]
    assert result.next_remaining is None


def test_late_series_visit_asks_fee_then_series(backend: BuiltinBackend, clock: Any) -> None:
    first, second, *_ = series_visits(backend, ALEX)
    clock.now = first.start - timedelta(hours=3)
    with pytest.raises(ConfirmationRequired) as late:
        backend.cancel_booking(ALEX, first.id)
    assert late.value.reason == "late"
    with pytest.raises(ConfirmationRequired) as recurring:
        backend.cancel_booking(ALEX, first.id, confirm_fee=Money(1500))
    assert recurring.value.reason == "recurring"
    result = backend.cancel_booking(ALEX, first.id, confirm_fee=Money(1500), recurring=True)
    assert result.fee == Money(1500) and result.next_remaining == second


def test_cannot_cancel_the_past(backend: BuiltinBackend, clock: Any) -> None:
    past = backend.recent_bookings(ALEX)[-1]
    with pytest.raises(NotCancellable, match=r"has already taken place"):
        backend.cancel_booking(ALEX, past.id)
    late = late_booking(backend, ALEX, clock.now)
    clock.now = late.start
    with pytest.raises(NotCancellable, match=rf"Booking #{late.id} has already taken place\."):
        backend.cancel_booking(ALEX, late.id, confirm_fee=Money(1500))


def test_cannot_cancel_twice(backend: BuiltinBackend) -> None:
    transfer = by_service(backend, ALEX, "Airport transfer")[0]
    backend.cancel_booking(ALEX, transfer.id)
    with pytest.raises(NotCancellable, match=rf"Booking #{transfer.id} is already cancelled\."):
        backend.cancel_booking(ALEX, transfer.id)


def test_racing_cancels_cancel_once(backend: BuiltinBackend) -> None:
    transfer = by_service(backend, ALEX, "Airport transfer")[0]
    barrier = threading.Barrier(3)
    outcomes: list[str] = []

    def cancel() -> None:
        barrier.wait()
        try:
            backend.cancel_booking(ALEX, transfer.id)
            outcomes.append("cancelled")
        except NotCancellable:
            outcomes.append("refused")

    threads = [threading.Thread(target=cancel) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["cancelled", "refused", "refused"]


@pytest.mark.parametrize("booking_id", ["999999", "abc", "", "12345678901234567890"])
def test_unknown_bookings(backend: BuiltinBackend, booking_id: str) -> None:
    with pytest.raises(BookingNotFound):
        backend.booking(ALEX, booking_id)
    with pytest.raises(BookingNotFound):
        backend.cancel_booking(ALEX, booking_id)
    with pytest.raises(BookingNotFound):
        backend.track(ALEX, booking_id)


def test_other_customers_bookings_are_not_found(backend: BuiltinBackend) -> None:
    sams = by_service(backend, SAM, "Airport transfer")[0]
    with pytest.raises(BookingNotFound):
        backend.booking(ALEX, sams.id)
    with pytest.raises(BookingNotFound):
        backend.cancel_booking(ALEX, sams.id)
    with pytest.raises(BookingNotFound):
        backend.track(ALEX, sams.id)
    assert backend.booking(SAM, sams.id).status == BookingStatus.BOOKED


# --- tracking -----------------------------------------------------------------------------------


def test_track_a_ride(backend: BuiltinBackend, clock: Any) -> None:
    ride = late_booking(backend, ALEX, clock.now)
    far = backend.track(ALEX, ride.id)
    assert (far.booking_id, far.status, far.eta) == (ride.id, "scheduled", ride.start)
    clock.now = ride.start - timedelta(minutes=65)
    near = backend.track(ALEX, ride.id)
    assert (near.status, near.eta, near.stops_ahead, near.waiting_seconds) == (
        "on the way",
        ride.start,
        6,
        0,
    )
    clock.now = ride.start + timedelta(minutes=1)
    done = backend.track(ALEX, ride.id)
    assert (done.status, done.eta) == ("completed", None)


def test_track_a_clean_and_a_cancelled_booking(backend: BuiltinBackend, clock: Any) -> None:
    clean = late_booking(backend, SAM, clock.now)
    clock.now = clean.start - timedelta(minutes=30)
    assert backend.track(SAM, clean.id).status == "scheduled"
    transfer = by_service(backend, SAM, "Airport transfer")[0]
    backend.cancel_booking(SAM, transfer.id)
    cancelled = backend.track(SAM, transfer.id)
    assert (cancelled.status, cancelled.eta) == ("cancelled", None)


# --- health and failures ------------------------------------------------------------------------


def test_health(backend: BuiltinBackend) -> None:
    assert backend.health() is True


def test_a_sqlite_file_lets_readers_and_a_writer_work_at_once(
    database_url: str, backend: BuiltinBackend, clock: Any
) -> None:
    if not database_url.startswith("sqlite:///"):
        pytest.skip("SQLite files only")
    with backend._engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    # One thread holds the write lock; another thread's reads are not queued behind it.
    with backend._writing() as conn:
        conn.execute(schema.bookings.update().values(note="busy"))
        seen: list[int] = []
        reader = threading.Thread(target=lambda: seen.append(len(backend.recent_bookings(ALEX))))
        reader.start()
        reader.join(timeout=5)
        assert seen and seen[0] > 0


def test_unreachable_postgres_is_unavailable() -> None:
    backend = BuiltinBackend("postgresql://postgres@127.0.0.1:1/test", settings=Settings())
    try:
        assert backend.health() is False
        with pytest.raises(BackendUnavailable):
            backend.login(ALEX.phone or "", "1234")
        with pytest.raises(BackendUnavailable):
            backend.recent_bookings(ALEX)
        with pytest.raises(BackendUnavailable):
            backend.catalogue()
        with pytest.raises(BackendUnavailable):
            backend.cancel_booking(ALEX, "1001")
        with pytest.raises(BackendUnavailable):
            backend.reset_demo()
    finally:
        backend.close()


def test_unopenable_sqlite_file_is_unavailable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing-dir' / 'bookings.sqlite3'}"
    backend = BuiltinBackend(url, settings=Settings())
    try:
        assert backend.health() is False
        with pytest.raises(BackendUnavailable):
            backend.recent_bookings(ALEX)
        (tmp_path / "missing-dir").mkdir()
        assert backend.health() is True
        assert backend.login(ALEX.phone or "", "1234") == ALEX
    finally:
        backend.close()


def test_address_parts_already_in_the_address_are_not_repeated() -> None:
    from bot.backends.builtin.backend import _join_address

    assert _join_address("12 High St, London", "London", "E1 6AN") == "12 High St, London, E1 6AN"
    assert _join_address("12 High St", "London", "E1 6AN") == "12 High St, London, E1 6AN"
    assert _join_address("5 Elm Rd, Leeds LS1 4AP", "Leeds", "LS1 4AP") == "5 Elm Rd, Leeds LS1 4AP"
