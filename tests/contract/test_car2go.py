"""The car2go backend against a local car2go that checks every OAuth 1.0a signature.

What the customer should get: connected by link (typed code), the list with the car's plate, fuel,
engine and charging (or "not assigned yet"), a car reserved near them, the cancel fee car2go
reports, and "connect again" once the access is revoked; every return code a clear error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.backends.car2go import Car2goBackend, make_car2go_backend
from bot.backends.car2go.codes import (
    ACCOUNT_LOCKED,
    CANNOT_BOOK,
    CONNECT_AGAIN,
    INVALID_REQUEST,
    NO_ACCOUNT,
    NO_LICENCE,
    RETURN_CODES,
    VEHICLE_GONE,
)
from bot.backends.protocol import (
    LINK_LOGIN,
    BackendBusy,
    BackendUnavailable,
    BookingBackend,
    BookingNotFound,
    BookingRequest,
    BookingStatus,
    Capability,
    Customer,
    InvalidCredentials,
    LinkLogin,
    LoginExpired,
    Money,
    OutcomeUnknown,
    Rejected,
    VehicleSearch,
)
from bot.config import Settings
from bot.deadline import deadline
from tests.fakes.car2go_server import CONSUMER_SECRET, FakeCar2go, settings_for

NOW = datetime.now(UTC).replace(microsecond=0)
BLAUBEURER = ("WME4513001K154451", "UL-C5713", "Blaubeurer Strasse 128, 89077 Ulm", 48.4008, 9.9596)
SUDETENWEG = ("WME4513001K154655", "UL-C5887", "Sudetenweg, 89075 Ulm", 48.4362, 10.029)
HEILMEYER = ("WME4513001K155530", "UL-C5889", "Heilmeyersteige, 89075 Ulm", 48.410497, 9.947235)


@pytest.fixture
def fake() -> Iterator[FakeCar2go]:
    server = FakeCar2go().start()
    server.add_user("max", [(1002, "Max Mustermann")])
    server.add_car(*BLAUBEURER, fuel=90)
    server.add_car(*SUDETENWEG, fuel=24, engine="ED", charging=True)
    server.add_car(*HEILMEYER, fuel=58)
    yield server
    server.stop()


@pytest.fixture
def backend(fake: FakeCar2go) -> Iterator[Car2goBackend]:
    backend = make_car2go_backend(settings_for(fake))
    yield backend
    backend.close()


def connect(fake: FakeCar2go, backend: Car2goBackend, user: str = "max") -> Customer:
    authorization = backend.start_authorization("https://bot.example/oauth/car2go/callback")
    code = fake.approve(authorization.request_token, user)
    return backend.finish_authorization(authorization, f" {code} ")


def reserve(backend: Car2goBackend, customer: Customer, vin: str, key: str = "k1"):
    request = BookingRequest("car", NOW, vehicle_id=vin)
    return backend.create_booking(customer, request, idempotency_key=key)


# --- the journey -----------------------------------------------------------------------------


def test_link_code_list_reserve_cancel_with_fee_then_revoked(fake, backend):
    assert isinstance(backend, BookingBackend)
    assert isinstance(backend, LinkLogin)
    assert isinstance(backend, VehicleSearch)
    assert backend.login_method == LINK_LOGIN
    assert backend.capabilities == {Capability.LIST, Capability.BOOK, Capability.CANCEL}

    authorization = backend.start_authorization("https://bot.example/oauth/car2go/callback")
    assert (
        authorization.url == f"{fake.url}/api/authorize?oauth_token={authorization.request_token}"
    )
    [asked] = fake.calls(endpoint="reqtoken")
    assert asked.oauth["oauth_callback"] == "oob"  # car2go: mandatory and must be "oob"
    assert asked.oauth["oauth_signature_method"] == "HMAC-SHA1"

    customer = backend.finish_authorization(
        authorization, fake.approve(authorization.request_token)
    )
    assert customer.token in fake.access_tokens
    assert customer.token_secret == fake.access_tokens[customer.token].secret
    assert (customer.id, customer.name) == ("car2go-1002", "Max Mustermann")

    fake.add_booking("max", NOW + timedelta(hours=3), "Lange Strasse 67, 82828 Grossstadt")
    fake.add_booking("max", NOW - timedelta(minutes=5), BLAUBEURER[2], vin=BLAUBEURER[0])
    listed = backend.recent_bookings(customer)
    assert [b.address for b in listed] == ["Lange Strasse 67, 82828 Grossstadt", BLAUBEURER[2]]
    waiting, with_car = listed
    assert waiting.status is BookingStatus.WAITING
    assert ("Car", "not assigned yet") in waiting.details
    assert with_car.status is BookingStatus.BOOKED
    assert with_car.start == NOW - timedelta(minutes=5)
    assert with_car.details[:3] == (("Car", "UL-C5713"), ("Fuel", "90%"), ("Engine", "combustion"))
    assert with_car.cancellable_at(datetime.now(UTC))  # current while car2go lists it
    [bookings_call] = fake.calls("GET", "GET bookings")
    assert bookings_call.params == {"loc": "ulm", "format": "json"}

    near = backend.vehicles_near((48.435, 10.027))
    assert [car.name for car in near][:1] == ["UL-C5887"]
    assert near[0].distance_m is not None and near[0].distance_m < 300
    assert ("Engine", "electric") in near[0].details and ("Charging", "yes") in near[0].details
    assert "UL-C5713" not in [car.name for car in near]  # reserved already: not free

    fake.new_booking_cancel_fee = "4.00"
    booked = reserve(backend, customer, near[0].id)
    [created] = fake.calls("POST", "POST bookings")
    assert created.params == {
        "loc": "ulm",
        "vin": SUDETENWEG[0],
        "account": "1002",
        "format": "json",
    }
    assert ("Car", "UL-C5887") in booked.details and ("Charging", "yes") in booked.details
    assert booked.id in [b.id for b in backend.recent_bookings(customer)]

    cancellation = backend.cancel_booking(customer, booked.id)
    assert cancellation.fee == Money(400, "EUR")
    assert [b.status for b in cancellation.cancelled] == [BookingStatus.CANCELLED]
    assert int(booked.id) not in fake.bookings
    assert fake.calls("DELETE", "DELETE booking")[0].params == {"format": "json"}

    fake.revoke(customer.token)
    with pytest.raises(LoginExpired) as expired:
        backend.recent_bookings(customer)
    assert str(expired.value) == CONNECT_AGAIN


def test_the_code_shown_on_car2gos_page_connects(fake, backend):
    authorization = backend.start_authorization(None)
    page = httpx.get(authorization.url + "&decision=allow&user=max")
    assert page.status_code == 200
    code = fake.request_tokens[authorization.request_token].verifier
    assert code and code in page.text
    assert backend.finish_authorization(authorization, code).name == "Max Mustermann"


def test_a_mistyped_code_is_refused_and_the_right_one_still_works(fake, backend):
    authorization = backend.start_authorization(None)
    code = fake.approve(authorization.request_token)
    with pytest.raises(InvalidCredentials):
        backend.finish_authorization(authorization, "nope1234")
    assert backend.finish_authorization(authorization, code).token


def test_a_link_used_once_cannot_connect_again(fake, backend):
    authorization = backend.start_authorization(None)
    code = fake.approve(authorization.request_token)
    backend.finish_authorization(authorization, code)
    with pytest.raises(LoginExpired):
        backend.finish_authorization(authorization, code)


def test_a_customer_without_accounts_connects_and_hears_why_on_booking(fake, backend):
    fake.add_user("ann", accounts=[])
    customer = connect(fake, backend, "ann")
    assert customer.name == "car2go customer" and customer.token
    with pytest.raises(Rejected) as refused:
        backend.recent_bookings(customer)
    assert refused.value.message == NO_ACCOUNT


def test_an_expired_access_token_asks_to_connect_again(fake, backend):
    customer = connect(fake, backend)
    fake.expire(customer.token)
    with pytest.raises(LoginExpired):
        reserve(backend, customer, BLAUBEURER[0])
    assert not fake.calls("POST", "POST bookings")


def test_a_session_without_a_token_asks_to_connect(backend):
    with pytest.raises(LoginExpired):
        backend.recent_bookings(Customer("x", "X"))


# --- booking and cancelling ------------------------------------------------------------------


def test_reserving_again_after_a_lost_answer_returns_the_first_reservation(fake, backend):
    customer = connect(fake, backend)
    first = reserve(backend, customer, HEILMEYER[0], key="same")
    again = reserve(backend, customer, HEILMEYER[0], key="same")
    assert again.id == first.id
    assert len(fake.calls("POST", "POST bookings")) == 1
    assert len(fake.open_bookings("max")) == 1


def test_a_reservation_needs_a_chosen_car(fake, backend):
    customer = connect(fake, backend)
    with pytest.raises(Rejected) as refused:
        backend.create_booking(customer, BookingRequest("car", NOW), "k")
    assert refused.value.fields == {"vehicle": "required"}


def test_cancelling_without_a_fee_says_none(fake, backend):
    customer = connect(fake, backend)
    booking = fake.add_booking("max", NOW + timedelta(hours=1), "Lange Strasse 67")
    cancellation = backend.cancel_booking(customer, str(booking.id))
    assert cancellation.fee is None
    assert fake.open_bookings("max") == []


def test_cancelling_someone_elses_or_an_unknown_booking_is_not_found(fake, backend):
    fake.add_user("eve", [(2000, "Eve")])
    theirs = fake.add_booking("eve", NOW + timedelta(hours=1), "Elsewhere 1")
    customer = connect(fake, backend)
    for booking_id in (str(theirs.id), "999999"):
        with pytest.raises(BookingNotFound):
            backend.cancel_booking(customer, booking_id)
    assert len(fake.open_bookings("eve")) == 1


def test_cars_near_a_typed_address_match_its_street(fake, backend):
    near = backend.vehicles_near("Heilmeyersteige 3, Ulm")
    assert [car.name for car in near][:1] == ["UL-C5889"]
    assert backend.vehicles_near("Rue de Rivoli, Paris") == []


def test_iso_reservation_times_are_read_too(fake, backend):
    fake.iso_times = True
    customer = connect(fake, backend)
    at = datetime(2026, 12, 24, 9, 30, tzinfo=UTC)
    fake.add_booking("max", at, "Lange Strasse 67")
    assert [b.start for b in backend.recent_bookings(customer)] == [at]


# --- return codes ----------------------------------------------------------------------------

EXPECTED = {
    1: (BackendUnavailable, None),
    2: (LoginExpired, CONNECT_AGAIN),
    3: (Rejected, NO_ACCOUNT),
    4: (BackendUnavailable, None),
    5: (BackendUnavailable, None),
    6: (Rejected, INVALID_REQUEST),
    7: (Rejected, NO_LICENCE),
    8: (Rejected, ACCOUNT_LOCKED),
    9: (Rejected, CANNOT_BOOK),
    10: (Rejected, VEHICLE_GONE),
    11: (BookingNotFound, None),
    12: (BookingNotFound, None),
}


def test_every_documented_return_code_has_an_answer():
    assert set(EXPECTED) | {0} == set(RETURN_CODES) == set(range(13))


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_each_return_code_on_reserving_gives_a_clear_error(fake, backend, code):
    customer = connect(fake, backend)
    fake.force_code["POST bookings"] = code
    error, message = EXPECTED[code]
    with pytest.raises(error) as raised:
        reserve(backend, customer, BLAUBEURER[0])
    if message:
        assert str(raised.value) == message
    assert fake.open_bookings("max") == []


def test_return_codes_as_car2go_really_answers_them(fake, backend):
    customer = connect(fake, backend)
    user = fake.users["max"]
    fake.add_user("eve", [(2000, "Eve")])
    evas = connect(fake, backend, "eve")
    reserve(backend, evas, HEILMEYER[0])

    with pytest.raises(Rejected, match="can't be reserved"):  # 9: someone else has it
        reserve(backend, customer, HEILMEYER[0])
    with pytest.raises(Rejected) as gone:  # 10: no such car
        reserve(backend, customer, "WME0000000K999999")
    assert gone.value.fields == {"vehicle": "invalid"}
    user.licence_ok = False
    with pytest.raises(Rejected, match="driving licence"):  # 7
        reserve(backend, customer, BLAUBEURER[0])
    user.licence_ok, user.locked_accounts = True, {1002}
    with pytest.raises(Rejected, match="locked"):  # 8
        reserve(backend, customer, BLAUBEURER[0])
    user.valid = False
    with pytest.raises(LoginExpired):  # 2
        backend.recent_bookings(customer)


def test_an_unknown_location_is_the_operators_problem(fake, caplog):
    backend = make_car2go_backend(settings_for(fake, car2go_loc="atlantis"))
    customer = connect(fake, backend)
    with caplog.at_level(logging.ERROR), pytest.raises(BackendUnavailable):
        backend.recent_bookings(customer)
    assert "return code 1" in caplog.text
    backend.close()


# --- OAuth really checked ----------------------------------------------------------------------


def test_a_wrong_consumer_secret_is_refused_by_signature(fake, caplog):
    backend = make_car2go_backend(settings_for(fake, car2go_consumer_secret="wrong"))
    with caplog.at_level(logging.ERROR), pytest.raises(BackendUnavailable):
        backend.start_authorization(None)
    assert "signature_invalid" in caplog.text
    assert not fake.request_tokens
    backend.close()


def test_the_fake_rejects_a_tampered_request_and_a_replayed_nonce(fake, backend):
    customer = connect(fake, backend)
    sent: list[httpx.Request] = []
    client = httpx.Client(event_hooks={"request": [sent.append]})
    backend.api.client.close()
    backend.api.client = client
    backend.recent_bookings(customer)
    original = sent[0]
    tampered = httpx.Request(
        "GET", str(original.url).replace("loc=ulm", "loc=austin"), headers=original.headers
    )
    answer = client.send(tampered)
    assert (answer.status_code, answer.text) == (401, "oauth_problem=signature_invalid")
    replayed = client.send(httpx.Request("GET", original.url, headers=original.headers))
    assert (replayed.status_code, replayed.text) == (401, "oauth_problem=nonce_used")
    client.close()


# --- timeouts, retries, secrets ----------------------------------------------------------------


def test_a_read_is_tried_again_after_a_server_error(fake, backend):
    customer = connect(fake, backend)
    fake.add_booking("max", NOW, "Lange Strasse 67")
    fake.fail_next(503)
    assert len(backend.recent_bookings(customer)) == 1
    assert fake.hits.count("GET /api/v2.1/bookings") == 2


def test_a_write_is_never_tried_again(fake, backend):
    customer = connect(fake, backend)
    fake.fail_next(503, on="POST /api/v2.1/bookings")
    with pytest.raises(BackendUnavailable):
        reserve(backend, customer, BLAUBEURER[0])
    booking = fake.add_booking("max", NOW, "Lange Strasse 67")
    fake.fail_next(502, on=f"DELETE /api/v2.1/booking/{booking.id}")
    with pytest.raises(OutcomeUnknown):
        backend.cancel_booking(customer, str(booking.id))
    writes = [hit for hit in fake.hits if hit.startswith(("POST /api/v2", "DELETE"))]
    assert writes == ["POST /api/v2.1/bookings", f"DELETE /api/v2.1/booking/{booking.id}"]
    assert fake.open_bookings("max") == [booking]


def test_a_reservation_without_an_answer_is_an_unknown_outcome_within_the_deadline(fake, backend):
    customer = connect(fake, backend)
    started = time.monotonic()
    with deadline(2.0):
        fake.delay_next(3.0, on="POST /api/v2.1/bookings")
        with pytest.raises(OutcomeUnknown):
            reserve(backend, customer, BLAUBEURER[0])
    assert time.monotonic() - started < 2.0


def test_after_an_unknown_outcome_reserving_again_returns_that_reservation(fake, backend):
    customer = connect(fake, backend)
    fake.delay_next(1.0, on="POST /api/v2.1/bookings")  # car2go reserves, the answer is late
    with deadline(1.2), pytest.raises(OutcomeUnknown):
        reserve(backend, customer, HEILMEYER[0], key="lost")
    waited = time.monotonic()
    while not fake.open_bookings("max") and time.monotonic() - waited < 5:
        time.sleep(0.05)
    [made] = fake.open_bookings("max")
    again = reserve(backend, customer, HEILMEYER[0], key="lost")
    assert again.id == str(made.id)
    assert fake.hits.count("POST /api/v2.1/bookings") == 1


def test_no_time_left_means_busy_and_nothing_sent(fake, backend):
    customer = connect(fake, backend)
    sent_before = len(fake.received)
    with deadline(0.3), pytest.raises(BackendBusy):
        backend.recent_bookings(customer)
    assert len(fake.received) == sent_before


def test_no_token_secret_or_code_is_ever_logged(fake, backend, caplog):
    with caplog.at_level(logging.DEBUG):
        authorization = backend.start_authorization(None)
        code = fake.approve(authorization.request_token)
        with pytest.raises(InvalidCredentials):
            backend.finish_authorization(authorization, "wrong-code")
        customer = backend.finish_authorization(authorization, code)
        booked = reserve(backend, customer, BLAUBEURER[0])
        backend.cancel_booking(customer, booked.id)
        fake.revoke(customer.token)
        with pytest.raises(LoginExpired) as expired:
            backend.recent_bookings(customer)
    secrets_ = [
        authorization.request_token,
        authorization.request_secret,
        code,
        customer.token,
        customer.token_secret,
        CONSUMER_SECRET,
    ]
    logged = caplog.text + "".join(repr(r.args) for r in caplog.records) + repr(expired.value)
    assert caplog.records  # the calls were logged, just not their secrets
    assert [s for s in secrets_ if s and s in logged] == []


# --- settings ----------------------------------------------------------------------------------


def test_settings_come_from_the_environment():
    settings = Settings.from_env(
        {
            "CAR2GO_URL": "https://www.car2go.com/",
            "CAR2GO_CONSUMER_KEY": "key",
            "CAR2GO_CONSUMER_SECRET": "secret",
            "CAR2GO_LOC": "Ulm",
        }
    )
    assert (settings.car2go_url, settings.car2go_loc) == ("https://www.car2go.com", "ulm")
    assert (settings.car2go_consumer_key, settings.car2go_consumer_secret) == ("key", "secret")


def test_a_missing_setting_is_named():
    with pytest.raises(ValueError, match="CAR2GO_CONSUMER_SECRET, CAR2GO_LOC"):
        make_car2go_backend(Settings(car2go_url="https://x", car2go_consumer_key="k"))


def test_health_is_car2go_answering_checked_at_most_every_few_seconds(fake, backend):
    assert backend.health()
    fake.fail_next(503, times=2)
    assert backend.health()  # remembered: car2go allows only a few calls per second
    assert fake.hits.count("GET /api/v2.1/locations") == 1
    backend.health_cache_seconds = 0
    assert not backend.health()


def test_a_car_is_the_one_service_and_reserving_is_free(fake, backend):
    catalogue = backend.catalogue()
    [car] = catalogue.services
    assert (car.id, car.kind) == ("car", "vehicle")
    quote = backend.quote(Customer("x", "X"), BookingRequest("car", NOW, vehicle_id=BLAUBEURER[0]))
    assert quote.total == Money(0, "EUR")
    assert "by the minute" in quote.lines[0][0]


def test_one_booking_is_found_by_its_id(fake, backend):
    customer = connect(fake, backend)
    booking = fake.add_booking("max", NOW, "Lange Strasse 67", vin=BLAUBEURER[0])
    assert backend.booking(customer, f"#{booking.id}").details[0] == ("Car", "UL-C5713")
    with pytest.raises(BookingNotFound):
        backend.booking(customer, "123")
