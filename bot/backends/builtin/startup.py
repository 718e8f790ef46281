"""What the built-in store does when it starts: create missing tables and, into an empty
database only, load the demo. Nothing here deletes or overwrites a row; `wipe` is for the
explicit `booking-bot demo reset` alone."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Table, inspect, literal, select, text

from bot.backends.builtin import schema
from bot.config import Settings

SETUP_LOCK_KEY = 0x626F6F6B  # "book": serialises set-up across processes on PostgreSQL


def demo_wanted(settings: Settings) -> bool:
    """`DEMO_DATA` when given; otherwise on for the quick start (no DATABASE_URL), else off."""
    if settings.demo_data is not None:
        return settings.demo_data
    return settings.database_url is None


def needs_writing(conn: Connection, load_demo: bool) -> bool:
    """Whether set-up has anything to write (checked with reads only, so a database another
    process holds a write lock on still starts)."""
    tables = inspect(conn)
    if not all(tables.has_table(table.name) for table in schema.ALL_TABLES):
        return True
    if conn.dialect.name == "sqlite" and not _sqlite_ids_started(conn):
        return True
    return load_demo and is_empty(conn)


def prepare(conn: Connection, load_demo: bool, seed: Callable[[Connection], None]) -> bool:
    """In a write transaction: create what is missing; seed an empty database. True if seeded."""
    create_schema(conn)
    if load_demo and is_empty(conn):
        seed(conn)
        return True
    return False


def create_schema(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("select pg_advisory_xact_lock(:key)"), {"key": SETUP_LOCK_KEY})
    schema.metadata.create_all(conn)
    if conn.dialect.name == "sqlite" and not _sqlite_ids_started(conn):
        _start_sqlite_ids(conn)


def is_empty(conn: Connection) -> bool:
    return not any(_has_rows(conn, table) for table in schema.ALL_TABLES)


def wipe(conn: Connection) -> None:
    """Delete every row (only `demo reset` does this, when asked to)."""
    if conn.dialect.name == "postgresql":
        names = ", ".join(table.name for table in schema.ALL_TABLES)
        conn.execute(text(f"truncate table {names} restart identity"))
        return
    for table in reversed(schema.metadata.sorted_tables):
        conn.execute(table.delete())
    conn.execute(text("delete from sqlite_sequence"))
    _start_sqlite_ids(conn)


def _has_rows(conn: Connection, table: Table) -> bool:
    return conn.execute(select(literal(1)).select_from(table).limit(1)).first() is not None


def _sqlite_ids_started(conn: Connection) -> bool:
    found = conn.execute(text("select 1 from sqlite_sequence where name = 'bookings'")).first()
    return found is not None


def _start_sqlite_ids(conn: Connection) -> None:
    """Booking numbers start at FIRST_BOOKING_ID on SQLite as on PostgreSQL."""
    conn.execute(
        text("insert into sqlite_sequence (name, seq) values ('bookings', :seq)"),
        {"seq": schema.FIRST_BOOKING_ID - 1},
    )
