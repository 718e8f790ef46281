"""Engine set-up and error translation for the built-in store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

from bot.backends.protocol import BackendUnavailable

DB_FILENAME = "bookings.sqlite3"


def default_database_url() -> str:
    directory = Path(platformdirs.user_data_dir("booking-bot"))
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{directory / DB_FILENAME}"


def normalise_url(database_url: str | None) -> URL:
    """Heroku-style `postgres://` and plain `postgresql://` use psycopg 3."""
    url = make_url(database_url or default_database_url())
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def is_memory_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and (
        url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"
    )


def make_engine(url: URL) -> Engine:
    kwargs: dict[str, Any] = {}
    if url.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
        if is_memory_sqlite(url):
            kwargs["poolclass"] = StaticPool
    elif url.get_backend_name() == "postgresql":
        kwargs["pool_pre_ping"] = True
        kwargs["connect_args"] = {"connect_timeout": 5}
    engine = create_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


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
