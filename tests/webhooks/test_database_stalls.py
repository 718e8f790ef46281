"""Another process holds a lock on the booking database: every webhook still answers within the
10 s deadline (Twilio gives up at 15 s). Reads go on as usual, a cancel that cannot write in time
answers 503 without consuming the message, and the platform's retry, once the lock is gone,
cancels exactly once. Nothing commits after the deadline.

Fails on the old store, where reads waited 14.5–24.6 s, /healthz 24.6 s, the 15 s busy timeout
answered 200 with an apology (message consumed) and the queued cancel committed at 25 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bot.backends.builtin import BuiltinBackend
from bot.backends.protocol import BackendBusy, BackendUnavailable, BookingStatus, Customer
from bot.config import Settings
from bot.deadline import BUDGET_SECONDS, deadline
from tests.fakes.database_lock import DatabaseLock
from tests.fakes.twilio import new_sid, sms_params
from tests.webhooks.conftest import SmsPoster, message_text

PHONE = "+447700900123"
HEALTH_BOUND = 3.0
"""/healthz answers within about 2 s: a generous bound."""

TIMES: dict[str, float] = {}
"""Worst answer time per kind of request, printed at the end (pytest -s) for the figures."""


@pytest.fixture(scope="module", autouse=True)
def report_times() -> Iterator[None]:
    yield
    for what, seconds in sorted(TIMES.items()):
        print(f"\nworst answer under a database lock: {what}: {seconds:.2f} s")


@pytest.fixture(params=["sqlite-file", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite-file":
        return f"sqlite:///{tmp_path / 'bookings.sqlite3'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def backend(database_url: str, clock: Any) -> Iterator[BuiltinBackend]:
    settings = Settings(pin_hash_time_cost=1, pin_hash_memory_kib=1024)
    backend = BuiltinBackend(database_url, settings=settings, clock=clock)
    yield backend
    backend.close()


def timed(what: str, call: Callable[[], TestResponse]) -> TestResponse:
    started = time.monotonic()
    response = call()
    took = time.monotonic() - started
    TIMES[what] = max(TIMES.get(what, 0.0), took)
    assert took < BUDGET_SECONDS, f"{what} took {took:.1f} s"
    return response


def far_booking(backend: BuiltinBackend, clock: Any) -> str:
    """The demo customer's one-off booking more than a day ahead: cancelled without questions."""
    customer = backend.login(PHONE, "1234")
    return next(
        b.id
        for b in backend.recent_bookings(customer)
        if b.series_id is None and (b.start - clock.now).days >= 2
    )


def status(backend: BuiltinBackend, booking_id: str) -> BookingStatus:
    return backend.booking(backend.login(PHONE, "1234"), booking_id).status


def lock_for(database_url: str, how: str) -> DatabaseLock:
    if database_url.startswith("sqlite"):
        return DatabaseLock.sqlite_write(database_url)
    statements = {
        "rows": ["SELECT id FROM bookings FOR UPDATE"],
        "table": ["LOCK TABLE bookings IN EXCLUSIVE MODE"],
    }[how]
    return DatabaseLock.postgres(database_url, statements)


@pytest.mark.e2e
@pytest.mark.parametrize("how", ["rows", "table"])
def test_reads_answer_and_a_blocked_cancel_is_503_then_retried_once(
    database_url: str,
    how: str,
    backend: BuiltinBackend,
    clock: Any,
    sms: SmsPoster,
    client: FlaskClient,
) -> None:
    if how == "table" and database_url.startswith("sqlite"):
        pytest.skip("SQLite has one lock for the whole database")
    booking_id = far_booking(backend, clock)
    sms.send(PHONE, "hi")
    assert "BOOKINGS" in sms.send(PHONE, "1234").upper()
    cancel = sms_params(PHONE, "YES", sid=new_sid())

    with lock_for(database_url, how) as lock:
        listing = timed("read (BOOKINGS)", lambda: sms.post(sms_params(PHONE, "BOOKINGS")))
        assert listing.status_code == 200 and "Your bookings" in message_text(listing)
        health = timed("/healthz", lambda: client.get("/healthz"))
        assert health.status_code == 200 and health.get_json()["backend"] == "ok"
        assert TIMES["/healthz"] < HEALTH_BOUND
        asked_first = sms.send(PHONE, f"CANCEL {booking_id}")  # a read: answered as usual
        assert "yes, cancel it" in asked_first.lower()

        refused = timed("cancel (write)", lambda: sms.post(cancel))
        assert refused.status_code == 503 and refused.headers["Retry-After"]
        assert lock.holding, "the answer came only once the lock was gone"
        assert status(backend, booking_id) == BookingStatus.BOOKED
    # Nothing was queued behind the lock to commit once it went.
    assert status(backend, booking_id) == BookingStatus.BOOKED

    retried = sms.post(cancel)
    assert retried.status_code == 200
    assert f"Booking #{booking_id}" in message_text(retried) and "cancelled" in message_text(
        retried
    )
    assert status(backend, booking_id) == BookingStatus.CANCELLED
    again = sms.post(cancel)
    assert message_text(again) == message_text(retried)  # replayed, not cancelled twice


@pytest.mark.e2e
def test_a_whole_table_locked_against_reads_says_try_again_in_time(
    database_url: str, backend: BuiltinBackend, sms: SmsPoster, client: FlaskClient
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite readers never wait for a writer (WAL)")
    sms.send(PHONE, "hi")
    sms.send(PHONE, "1234")
    with DatabaseLock.postgres(database_url, ["LOCK TABLE bookings"]) as lock:
        what = "read (BOOKINGS, table locked against reads)"
        listing = timed(what, lambda: sms.post(sms_params(PHONE, "BOOKINGS")))
        assert listing.status_code == 200
        assert "try again" in message_text(listing)
        health = timed("/healthz", lambda: client.get("/healthz"))
        assert health.status_code == 200
        assert lock.holding


@pytest.mark.e2e
def test_the_store_starts_and_logs_in_while_another_process_writes(
    tmp_path: Path, clock: Any
) -> None:
    url = f"sqlite:///{tmp_path / 'bookings.sqlite3'}"
    settings = Settings(pin_hash_time_cost=1, pin_hash_memory_kib=1024)
    BuiltinBackend(url, settings=settings, clock=clock).close()
    with DatabaseLock.sqlite_write(url) as lock:
        started = time.monotonic()
        restarted = BuiltinBackend(url, settings=settings, clock=clock)
        assert restarted.login(PHONE, "1234").name == "Alex Morgan"
        assert restarted.health()
        assert time.monotonic() - started < BUDGET_SECONDS and lock.holding
        restarted.close()


def test_nothing_commits_once_the_deadline_has_passed(
    backend: BuiltinBackend, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    booking_id = far_booking(backend, clock)
    customer: Customer = backend.login(PHONE, "1234")
    real_cancel = backend._cancel

    def slow_cancel(*args: Any, **kwargs: Any) -> Any:
        result = real_cancel(*args, **kwargs)
        time.sleep(1.5)  # the deadline passes after the update, before the commit
        return result

    monkeypatch.setattr(backend, "_cancel", slow_cancel)
    with pytest.raises(BackendBusy), deadline(1.3):
        backend.cancel_booking(customer, booking_id)
    assert status(backend, booking_id) == BookingStatus.BOOKED


def test_with_no_time_left_nothing_starts(backend: BuiltinBackend, clock: Any) -> None:
    booking_id = far_booking(backend, clock)
    customer = backend.login(PHONE, "1234")
    with deadline(0.5):  # less than the reserve kept for saving the session and answering
        with pytest.raises(BackendUnavailable) as read:
            backend.cancel_booking(customer, booking_id)
        assert not isinstance(read.value, BackendBusy)  # the customer hears "try again"
        with pytest.raises(BackendBusy), backend._writing():
            pass
    assert status(backend, booking_id) == BookingStatus.BOOKED
