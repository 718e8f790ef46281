"""Starting the built-in store never deletes or overwrites data; demo data only goes into an
empty database, and only when demo loading is on (DEMO_DATA; by default only without
DATABASE_URL). Fails on the old start-up, which wiped every table when no customer was left."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update

from bot.backends import make_backend
from bot.backends.builtin import BuiltinBackend, schema
from bot.backends.builtin.demo import ALEX
from bot.backends.protocol import BookingBackend, InvalidCredentials
from bot.config import Settings

FAST_PINS = {
    "PIN_HASH_TIME_COST": "1",
    "PIN_HASH_MEMORY_KIB": "1024",
    "PIN_PEPPER": "pepper-for-the-tests-0123456789",
}


@pytest.fixture(params=["sqlite-file", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite-file":
        return f"sqlite:///{tmp_path / 'bookings.sqlite3'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def start(database_url: str) -> Iterator[Callable[..., BookingBackend]]:
    """Start the store as the app does, from the environment: start(DEMO_DATA="on")."""
    started: list[BookingBackend] = []

    def start(**env: str) -> BookingBackend:
        backend = make_backend(
            Settings.from_env({"DATABASE_URL": database_url, **FAST_PINS, **env})
        )
        started.append(backend)
        return backend

    yield start
    for backend in started:
        backend.close()


def rows(backend: BookingBackend, table: Any) -> int:
    assert isinstance(backend, BuiltinBackend)
    with backend._engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_renamed_service_and_no_customers_survive_a_restart(
    start: Callable[..., BookingBackend],
) -> None:
    first = start(DEMO_DATA="on")
    assert first.login(ALEX.phone, ALEX.pin).name == ALEX.name
    assert isinstance(first, BuiltinBackend)
    with first._engine.begin() as conn:
        conn.execute(
            update(schema.services)
            .where(schema.services.c.id == "deep-clean")
            .values(name="Spring clean")
        )
        for table in (schema.booking_extras, schema.bookings, schema.series, schema.customers):
            conn.execute(delete(table))
    first.close()

    for env in ({"DEMO_DATA": "on"}, {}):
        again = start(**env)
        names = [s.name for s in again.catalogue().services]
        assert "Spring clean" in names and "Deep clean" not in names
        assert rows(again, schema.customers) == 0 and rows(again, schema.bookings) == 0
        with pytest.raises(InvalidCredentials):
            again.login(ALEX.phone, ALEX.pin)


def test_an_empty_database_with_demo_data_off_stays_empty(
    start: Callable[..., BookingBackend],
) -> None:
    backend = start(DEMO_DATA="off")
    assert backend.health()
    assert backend.catalogue().services == ()
    assert all(rows(backend, table) == 0 for table in schema.ALL_TABLES)
    backend.close()
    assert all(rows(start(DEMO_DATA="off"), table) == 0 for table in schema.ALL_TABLES)


def test_with_database_url_set_there_is_no_demo_unless_asked_for(
    start: Callable[..., BookingBackend],
) -> None:
    backend = start()
    with pytest.raises(InvalidCredentials):
        backend.login(ALEX.phone, ALEX.pin)
    assert rows(backend, schema.services) == 0
    asked = start(DEMO_DATA="on")
    assert asked.login(ALEX.phone, ALEX.pin).name == ALEX.name


def test_demo_data_is_on_for_the_quick_start_only() -> None:
    assert Settings.from_env({}).demo_data is None
    assert Settings.from_env({"DEMO_DATA": "off"}).demo_data is False
    assert Settings.from_env({"DEMO_DATA": "ON"}).demo_data is True
    with pytest.raises(ValueError, match="DEMO_DATA must be on or off"):
        Settings.from_env({"DEMO_DATA": "maybe"})


def test_demo_reset_is_the_one_thing_that_recreates_the_demo(
    start: Callable[..., BookingBackend], database_url: str
) -> None:
    from bot import admin

    backend = start(DEMO_DATA="on")
    assert isinstance(backend, BuiltinBackend)
    with backend._engine.begin() as conn:
        conn.execute(update(schema.services).values(name="Renamed"))
    message = admin.demo_reset(Settings.from_env({"DATABASE_URL": database_url, **FAST_PINS}))
    assert "447700900123" in message
    names = {s.name for s in start().catalogue().services}
    assert "Renamed" not in names and "Deep clean" in names
    assert backend.login(ALEX.phone, ALEX.pin).name == ALEX.name


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("mysql://user:hunter2@db.example.com/app", "mysql is not supported"),
        ("not a url", "is not a database URL"),
        ("postgresql://user:hunter2@127.0.0.1:1/app", "not reachable"),
    ],
    ids=["unsupported", "malformed", "unreachable"],
)
def test_demo_reset_explains_a_database_it_cannot_use(url: str, named: str) -> None:
    from bot import admin

    with pytest.raises(ValueError, match=named) as refused:
        admin.demo_reset(Settings(database_url=url, pin_pepper="pepper-for-the-tests-0123456789"))
    assert "DATABASE_URL" in str(refused.value) and "hunter2" not in str(refused.value)


def test_postgresql_without_a_pepper_refuses_to_start_and_says_what_to_set(
    postgres_url: str,
) -> None:
    env = {**FAST_PINS, "DATABASE_URL": postgres_url}
    del env["PIN_PEPPER"]
    with pytest.raises(ValueError, match="PIN_PEPPER must be set") as refused:
        make_backend(Settings.from_env(env))
    assert "postgres@" not in str(refused.value)


def test_a_sqlite_file_without_a_pepper_starts_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env = {**FAST_PINS, "DATABASE_URL": f"sqlite:///{tmp_path / 'b.sqlite3'}", "DEMO_DATA": "on"}
    del env["PIN_PEPPER"]
    backend = make_backend(Settings.from_env(env))
    try:
        assert backend.login(ALEX.phone, ALEX.pin).name == ALEX.name
    finally:
        backend.close()
    assert "PIN_PEPPER is not set" in caplog.text
