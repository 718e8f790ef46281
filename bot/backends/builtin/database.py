"""Engine set-up, per-transaction timeouts and error translation for the built-in store.

Every message is answered within `bot.deadline`'s budget whatever the database does, so no wait
on the database may outlast it:

- SQLite runs in WAL mode, so readers never wait for a writer, with a connection per thread from
  the pool (no process-wide lock). Each transaction sets `busy_timeout` from the time left, and a
  write takes the write lock up front (`BEGIN IMMEDIATE`): it starts in time or not at all.
- PostgreSQL transactions set `lock_timeout` and `statement_timeout` (local to the transaction)
  from the time left, and connecting waits no longer than that either.

A write that cannot start in time raises `BackendBusy` (the webhook answers 503 without
consuming the message); a read that cannot raises `BackendUnavailable` (the customer hears
"try again"). Nothing commits once the deadline has passed.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

from bot.backends.protocol import BackendBusy, BackendUnavailable
from bot.config import web_threads
from bot.deadline import remaining

DB_FILENAME = "bookings.sqlite3"
SUPPORTED = ("sqlite", "postgresql")

RESERVE_SECONDS = 1.0
"""Kept back from the deadline for the rest of the message (saving the session, the reply)."""
READ_WAIT_SECONDS = 2.0
WRITE_WAIT_SECONDS = 3.0
"""The longest a read / a write waits for a lock, however much time is left."""
MIN_WAIT_SECONDS = 0.05
"""Less time than this left: do not start at all."""
CONNECT_TIMEOUT_SECONDS = 5
POOL_WAIT_SECONDS = 2.0
POOL_SIZE, POOL_OVERFLOW = 8, 8
"""At least this many connections, and one per server thread (WEB_THREADS) when there are more,
then some: a thread never waits for a connection that a thread waiting on a platform holds."""

WRITE = "booking_bot_write"
"""Execution option marking a connection whose transaction writes; its value is the longest the
write may wait for the lock (seconds), or True for WRITE_WAIT_SECONDS."""

_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
_PG_LOCK_NOT_AVAILABLE, _PG_QUERY_CANCELED = "55P03", "57014"


def default_database_url() -> str:
    directory = Path(platformdirs.user_data_dir("booking-bot"))
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{directory / DB_FILENAME}"


def normalise_url(database_url: str | None) -> URL:
    """Heroku-style `postgres://` and plain `postgresql://` use psycopg 3.

    Raises ValueError naming DATABASE_URL (never its password) for anything else.
    """
    try:
        url = make_url(database_url or default_database_url())
    except exc.ArgumentError:
        raise ValueError(
            "DATABASE_URL is not a database URL (postgres://… or sqlite:///path)"
        ) from None
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in SUPPORTED:
        raise ValueError(
            f"DATABASE_URL: {url.get_backend_name()} is not supported by the built-in backend;"
            " use postgres://… or sqlite:///path"
        )
    return url


def is_memory_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and (
        url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"
    )


def wait_budget(cap: float) -> float:
    """Seconds a database call may wait now: `cap`, or less as the deadline nears (0: none)."""
    return max(0.0, min(cap, remaining() - RESERVE_SECONDS))


def make_engine(url: URL) -> Engine:
    kwargs: dict[str, Any] = {}
    backend = url.get_backend_name()
    if backend == "sqlite":
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 1.0}
        if is_memory_sqlite(url):
            kwargs["poolclass"] = StaticPool
    if backend == "postgresql":
        kwargs["pool_pre_ping"] = True
    if not is_memory_sqlite(url):
        kwargs |= {
            "pool_size": max(POOL_SIZE, web_threads()),
            "max_overflow": POOL_OVERFLOW,
            "pool_timeout": POOL_WAIT_SECONDS,
        }
    engine = create_engine(url, **kwargs)
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        event.listen(engine, "do_connect", _postgres_connect)
        event.listen(engine, "begin", _postgres_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # sqlite3 would BEGIN (deferred) on its own before DML; we BEGIN ourselves in `_sqlite_begin`.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _wait_or_refuse(conn: Connection) -> tuple[bool, float]:
    """(writes, seconds it may wait); raises when there is no time left to start."""
    option = conn.get_execution_options().get(WRITE, False)
    writes = option is not False
    cap = READ_WAIT_SECONDS if not writes else WRITE_WAIT_SECONDS if option is True else option
    wait = wait_budget(cap)
    if wait < MIN_WAIT_SECONDS:
        if writes:
            raise BackendBusy("No time left to write to the booking database.")
        raise BackendUnavailable("No time left to read the booking database.")
    return writes, wait


def _sqlite_begin(conn: Connection) -> None:
    writes, wait = _wait_or_refuse(conn)
    conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(wait * 1000)}")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def _postgres_begin(conn: Connection) -> None:
    _, wait = _wait_or_refuse(conn)
    lock_ms = int(wait * 1000)
    # A statement may run a little longer than it may wait for a lock, still inside the reserve.
    statement_ms = lock_ms + int(RESERVE_SECONDS * 500)
    conn.exec_driver_sql(
        "select set_config('lock_timeout', %(lock)s, true),"
        " set_config('statement_timeout', %(statement)s, true)",
        {"lock": f"{lock_ms}ms", "statement": f"{statement_ms}ms"},
    )


def _postgres_connect(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
    # libpq takes whole seconds (and treats less than 2 as 2).
    seconds = min(CONNECT_TIMEOUT_SECONDS, remaining() - RESERVE_SECONDS)
    cparams["connect_timeout"] = max(2, math.ceil(seconds))


def is_lock_timeout(error: BaseException) -> bool:
    """The database was busy (locked, or our own timeout cancelled the wait)."""
    if isinstance(error, exc.TimeoutError):  # every pooled connection in use
        return True
    orig = getattr(error, "orig", None)
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    return getattr(orig, "sqlstate", None) in (_PG_LOCK_NOT_AVAILABLE, _PG_QUERY_CANCELED)


@contextmanager
def busy_on_lock_errors() -> Iterator[None]:
    """For writes: a lock that could not be had in time means the write never started."""
    try:
        yield
    except (exc.OperationalError, exc.TimeoutError) as error:
        if is_lock_timeout(error):
            raise BackendBusy("The booking database is busy.") from error
        raise


@contextmanager
def unavailable_on_connection_errors() -> Iterator[None]:
    try:
        yield
    except (exc.OperationalError, exc.InterfaceError, exc.TimeoutError) as error:
        raise BackendUnavailable("The booking database is not reachable.") from error
    except exc.DBAPIError as error:
        if error.connection_invalidated:
            raise BackendUnavailable("The booking database connection was lost.") from error
        raise
