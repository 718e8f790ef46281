"""Gazoop against a local server that behaves as platform-docs/000 says: what the customer gets
back and what Gazoop receives, including every way the platform can fail."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot import deadline
from bot.backends.gazoop import GazoopBackend
from bot.backends.protocol import (
    BackendUnavailable,
    BookingBackend,
    BookingNotFound,
    BookingRequest,
    BookingStatus,
    Capability,
    Customer,
    InvalidCredentials,
    LoginExpired,
)
from tests.fakes.gazoop_server import PATH, FakeGazoop, rides

LONDON = ZoneInfo("Europe/London")
PHONE, PIN = "447700900123", "482915"
MAY_20 = datetime(2026, 5, 20, 8, 0, tzinfo=UTC)


@pytest.fixture
def gazoop() -> Iterator[FakeGazoop]:
    with FakeGazoop({PHONE: PIN}).running() as fake:
        yield fake


@pytest.fixture
def backend(gazoop: FakeGazoop) -> Iterator[GazoopBackend]:
    made = GazoopBackend(gazoop.url, tz=LONDON, clock=lambda: MAY_20)
    yield made
    made.close()


def logged_in(backend: GazoopBackend) -> Customer:
    return backend.login(PHONE, PIN)


def test_it_is_a_booking_backend_that_can_only_list(backend: GazoopBackend) -> None:
    assert isinstance(backend, BookingBackend)
    assert backend.capabilities == {Capability.LIST}
    assert backend.login_method.identifier == "phone" and backend.login_method.secret == "pin"
    assert backend.history_limit == 25


def test_login_sends_the_phone_without_plus_and_the_pin(
    backend: GazoopBackend, gazoop: FakeGazoop
) -> None:
    customer = backend.login("+" + PHONE, PIN)
    assert (customer.id, customer.phone) == (PHONE, PHONE)
    assert customer.token == PIN  # needed on every call; the session store encrypts it
    [sent] = gazoop.recorded(PATH)
    assert sent.method == "POST"
    assert sent.body == {"username": PHONE, "password": PIN}


def test_a_pin_typed_in_other_digits_is_sent_as_ascii(
    backend: GazoopBackend, gazoop: FakeGazoop
) -> None:
    gazoop.add_account("15555550123", "9876")
    assert backend.login("15555550123", "٩٨٧٦").token == "9876"


@pytest.mark.parametrize(("phone", "pin"), [(PHONE, "000000"), ("447700900999", PIN)])
def test_a_wrong_pin_or_unknown_number_is_invalid_credentials(
    backend: GazoopBackend, phone: str, pin: str
) -> None:
    with pytest.raises(InvalidCredentials):
        backend.login(phone, pin)


def test_what_cannot_be_a_pin_is_refused_without_asking_gazoop(
    backend: GazoopBackend, gazoop: FakeGazoop
) -> None:
    for pin in ("123", "1234567890123", "12ab"):
        with pytest.raises(InvalidCredentials):
            backend.login(PHONE, pin)
    assert gazoop.recorded() == []


def test_the_list_is_the_documented_answer_newest_first_with_years_and_words(
    backend: GazoopBackend,
) -> None:
    bookings = backend.recent_bookings(logged_in(backend))
    assert len(bookings) == 15  # api_log_id is not a booking
    assert [b.id for b in bookings[:3]] == ["884750", "899416", "898106"]
    assert bookings[-1].id == "874659"
    assert [b.start for b in bookings] == sorted((b.start for b in bookings), reverse=True)
    first = bookings[0]
    assert first.start == datetime(2026, 5, 25, 16, 0, tzinfo=UTC)  # 17:00 BST
    assert first.status is BookingStatus.WAITING
    assert (first.pickup, first.dropoff) == (
        "1350 Winslow Cir, Woodstock",
        "1580 N Clybourn Ave, Chicago",
    )
    assert bookings[-1].status is BookingStatus.BOOKED
    assert bookings[-1].start == datetime(2026, 4, 28, 11, 21, tzinfo=UTC)
    assert all(b.service == "Ride" and b.details == () for b in bookings)


def test_the_list_crosses_the_year_end(gazoop: FakeGazoop) -> None:
    jan_10 = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
    gazoop.add_account(PHONE, PIN, rides(datetime(2027, 1, 8, 9, 30), count=10))
    backend = GazoopBackend(gazoop.url, tz=LONDON, clock=lambda: jan_10)
    bookings = backend.recent_bookings(logged_in(backend))
    years = [b.start.year for b in bookings]
    assert years == [2027, 2027, 2027, 2026, 2026, 2026, 2026, 2026, 2026, 2026]
    assert bookings[3].start == datetime(2026, 12, 30, 9, 30, tzinfo=UTC)


def test_only_the_last_25_are_listed_whatever_is_asked(gazoop: FakeGazoop) -> None:
    gazoop.add_account(
        PHONE, PIN, rides(datetime(2026, 5, 19, 9, 0), count=40, every=timedelta(days=1))
    )
    backend = GazoopBackend(gazoop.url, tz=LONDON, clock=lambda: MAY_20)
    customer = logged_in(backend)
    assert len(backend.recent_bookings(customer, limit=100)) == 25
    assert [b.id for b in backend.recent_bookings(customer, limit=5)] == [
        "900040",
        "900039",
        "900038",
        "900037",
        "900036",
    ]


def test_unknown_status_letters_are_shown_as_booked_with_the_letter(gazoop: FakeGazoop) -> None:
    gazoop.add_account(
        PHONE,
        PIN,
        {
            "1": {"status": "Q", "pickup": "A", "dropoff": "B", "time": "1st May at 10:00"},
            "2": {"status": "C", "pickup": "A", "dropoff": "B", "time": "2nd May at 10:00"},
            "3": {"status": "X", "pickup": "A", "dropoff": "B", "time": "3rd May at 10:00"},
            "api_log_id": 7,
        },
    )
    backend = GazoopBackend(gazoop.url, tz=LONDON, clock=lambda: MAY_20)
    by_id = {b.id: b for b in backend.recent_bookings(logged_in(backend))}
    assert by_id["1"].status is BookingStatus.BOOKED
    assert by_id["1"].details == (("Gazoop status", "Q"),)
    assert by_id["2"].status is BookingStatus.COMPLETED
    assert by_id["3"].status is BookingStatus.CANCELLED


@pytest.mark.parametrize("answer", [[], {"api_log_id": 5}])
def test_an_account_without_bookings_lists_none(answer: object) -> None:
    def gazoop(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answer)

    backend = GazoopBackend("http://gazoop.test", tz=LONDON, transport=httpx.MockTransport(gazoop))
    assert backend.recent_bookings(backend.login(PHONE, PIN)) == []


def test_one_booking_comes_from_the_list(backend: GazoopBackend) -> None:
    customer = logged_in(backend)
    booking = backend.booking(customer, "#885493")
    assert booking.pickup == "150 Piccadilly, London W1J 9BR"
    assert booking.start == datetime(2026, 5, 5, 6, 18, tzinfo=UTC)
    with pytest.raises(BookingNotFound):
        backend.booking(customer, "123")


def test_a_pin_changed_since_login_or_forgotten_asks_to_log_in_again(
    backend: GazoopBackend, gazoop: FakeGazoop
) -> None:
    customer = logged_in(backend)
    gazoop.accounts[PHONE].pin = "999999"
    with pytest.raises(LoginExpired):
        backend.recent_bookings(customer)
    with pytest.raises(LoginExpired):
        backend.recent_bookings(Customer(id=PHONE, name="", phone=PHONE, token=None))


def test_booking_cancelling_and_tracking_are_not_offered(backend: GazoopBackend) -> None:
    customer = logged_in(backend)
    request = BookingRequest(service_id="ride", start=MAY_20 + timedelta(days=1))
    for call in (
        backend.catalogue,
        lambda: backend.quote(customer, request),
        lambda: backend.create_booking(customer, request, "key"),
        lambda: backend.cancel_booking(customer, "884750"),
        lambda: backend.track(customer, "884750"),
    ):
        with pytest.raises(NotImplementedError, match="Gazoop"):
            call()


# --- failures -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["500", "503", "non_json", "wrong_shape", "drop"])
def test_a_failing_platform_is_unavailable_after_one_retry(
    backend: GazoopBackend, gazoop: FakeGazoop, fault: str
) -> None:
    gazoop.fault = fault
    with pytest.raises(BackendUnavailable):
        backend.login(PHONE, PIN)
    retried = fault in ("500", "503", "drop")  # answers that are not even HTTP 2xx are retried
    assert len(gazoop.recorded(PATH)) == (2 if retried else 1)


def test_a_passing_5xx_is_retried_and_the_customer_never_sees_it(
    backend: GazoopBackend, gazoop: FakeGazoop
) -> None:
    gazoop.fault, gazoop.fault_times = "503", 1
    assert backend.login(PHONE, PIN).id == PHONE
    assert len(gazoop.recorded(PATH)) == 2


def test_a_booking_without_a_readable_time_is_a_malformed_answer(gazoop: FakeGazoop) -> None:
    gazoop.add_account(PHONE, PIN, {"1": {"status": "V", "time": "soon"}, "api_log_id": 1})
    backend = GazoopBackend(gazoop.url, tz=LONDON, clock=lambda: MAY_20)
    with pytest.raises(BackendUnavailable):
        backend.login(PHONE, PIN)


def test_a_refused_connection_is_unavailable(gazoop: FakeGazoop) -> None:
    url = gazoop.url
    gazoop.stop()
    backend = GazoopBackend(url, tz=LONDON)
    with pytest.raises(BackendUnavailable):
        backend.login(PHONE, PIN)
    assert backend.health() is False


def test_a_slow_platform_is_given_up_on_inside_the_message_deadline(
    backend: GazoopBackend, gazoop: FakeGazoop
) -> None:
    gazoop.delay = 5.0
    started = time.monotonic()
    with deadline.deadline(2.0), pytest.raises(BackendUnavailable):
        backend.login(PHONE, PIN)
    assert time.monotonic() - started < 2.0


def test_without_a_running_deadline_both_tries_still_fit_the_10_s_budget() -> None:
    tries: list[tuple[float, dict[str, float]]] = []

    def never_answers(request: httpx.Request) -> httpx.Response:
        tries.append((time.monotonic(), request.extensions["timeout"]))
        raise httpx.ReadTimeout("no answer", request=request)

    backend = GazoopBackend(
        "http://gazoop.invalid", tz=LONDON, transport=httpx.MockTransport(never_answers)
    )
    started = time.monotonic()
    with pytest.raises(BackendUnavailable):
        backend.login(PHONE, PIN)
    assert len(tries) == 2
    for at, timeout in tries:
        assert timeout["connect"] <= 2.0 and timeout["read"] <= 4.0
        # a try may take at most what is left of the budget when it starts
        assert timeout["connect"] + timeout["read"] <= 10.0 - (at - started)


def test_no_try_is_started_when_the_message_has_no_time_left(
    backend: GazoopBackend, gazoop: FakeGazoop
) -> None:
    with deadline.deadline(0.3), pytest.raises(BackendUnavailable):
        backend.login(PHONE, PIN)
    assert gazoop.recorded() == []


def test_the_pin_never_appears_in_a_log_line(
    gazoop: FakeGazoop, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    backend = GazoopBackend(gazoop.url, tz=LONDON, clock=lambda: MAY_20)
    customer = backend.login(PHONE, PIN)
    backend.recent_bookings(customer)
    with pytest.raises(InvalidCredentials):
        backend.login(PHONE, "123456")
    for fault in ("503", "non_json", "wrong_shape"):
        gazoop.fault = fault
        with pytest.raises(BackendUnavailable):
            backend.recent_bookings(customer)
    assert caplog.records  # the failures were logged ...
    logged = "\n".join(r.getMessage() + repr(r.args) for r in caplog.records)
    assert PIN not in logged and "123456" not in logged  # ... without a PIN


def test_health_asks_nothing_of_any_customer_account(
    backend: GazoopBackend, gazoop: FakeGazoop
) -> None:
    assert backend.health() is True
    [sent] = gazoop.recorded(PATH)
    assert sent.body["username"] not in gazoop.accounts
    gazoop.fault = "503"
    assert backend.health() is False


def test_a_client_handed_in_is_used_and_left_open(gazoop: FakeGazoop) -> None:
    with httpx.Client() as client:
        backend = GazoopBackend(gazoop.url, tz=LONDON, clock=lambda: MAY_20, client=client)
        assert backend.login(PHONE, PIN).id == PHONE
        backend.close()
        assert not client.is_closed


def test_the_local_server_answers_as_documented(gazoop: FakeGazoop) -> None:
    url = gazoop.url + PATH
    assert httpx.post(url).json() == {"result": "invalid"}
    assert httpx.post(url, data={"username": PHONE}).status_code == 400
    as_json = httpx.post(url, json={"username": PHONE, "password": PIN})
    assert as_json.status_code == 200 and "api_log_id" in as_json.json()
    assert httpx.get(url).status_code == 405


def test_a_logged_customer_does_not_show_the_pin(backend: GazoopBackend) -> None:
    assert PIN not in repr(backend.login(PHONE, PIN))
