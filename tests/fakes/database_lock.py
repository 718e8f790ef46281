"""Another process holding a lock on the booking database, as a stuck job or a long migration
would: `with DatabaseLock.sqlite_write(url) as lock: ...; lock.release()`.

The lock is held until `release()` or `hold_seconds` (25 s by default), whichever comes first,
so a test can show that answers came while the lock was still held and then go on.
"""

from __future__ import annotations

import json
import subprocess
import sys
from types import TracebackType

from sqlalchemy.engine import make_url

_HOLDER = r"""
import json, select, sys
kind, target, hold, statements = sys.argv[1:]
hold, statements = float(hold), json.loads(statements)
if kind == "sqlite":
    import sqlite3
    conn = sqlite3.connect(target, isolation_level=None)
    run = conn.execute
else:
    import psycopg
    conn = psycopg.connect(target, autocommit=True)
    run = conn.execute
for statement in statements:
    run(statement)
print("locked", flush=True)
select.select([sys.stdin], [], [], hold)
run("ROLLBACK")
conn.close()
"""


class DatabaseLock:
    def __init__(self, kind: str, target: str, statements: list[str], hold_seconds: float) -> None:
        self._args = [kind, target, str(hold_seconds), json.dumps(statements)]
        self._process: subprocess.Popen[str] | None = None

    @classmethod
    def sqlite_write(cls, database_url: str, hold_seconds: float = 25.0) -> DatabaseLock:
        """`BEGIN IMMEDIATE` and a write: the database's one write lock, held."""
        path = make_url(database_url).database or ""
        statements = ["BEGIN IMMEDIATE", "UPDATE bookings SET note = note"]
        return cls("sqlite", path, statements, hold_seconds)

    @classmethod
    def postgres(
        cls, database_url: str, statements: list[str], hold_seconds: float = 25.0
    ) -> DatabaseLock:
        """`statements` run after BEGIN (a row lock, a LOCK TABLE …), then held."""
        url = make_url(database_url).set(drivername="postgresql")
        target = url.render_as_string(hide_password=False)
        return cls("postgres", target, ["BEGIN", *statements], hold_seconds)

    def __enter__(self) -> DatabaseLock:
        self._process = subprocess.Popen(
            [sys.executable, "-c", _HOLDER, *self._args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if line.strip() != "locked":
            self._process.kill()
            raise RuntimeError(f"the lock holder did not get its lock: {line!r}")
        return self

    @property
    def holding(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def release(self) -> None:
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            assert process.stdin is not None
            process.stdin.write("\n")
            process.stdin.flush()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
        self._process = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()
