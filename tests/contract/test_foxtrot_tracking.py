"""Foxtrot's tracking contract, against a local server that behaves as platform-docs/002 and the
API overview say: what the customer is told about a delivery and what Foxtrot receives."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.backends.foxtrot import DELIVERED, NOT_DELIVERED, ON_THE_WAY, FoxtrotTracking
from bot.backends.protocol import (
    BackendUnavailable,
    BookingNotFound,
    Customer,
    TrackingBackend,
)
from tests.fakes.foxtrot_server import FakeFoxtrot, epoch_ms, waypoint

KEY, DC = "fox-test-key", "Foxtrot-DC"
ALEX = Customer(id="1", name="Alex Morgan", phone="447700900123", email="alex@example.com")
NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
WAYPOINTS = "/dcs/Foxtrot-DC/customers/447700900123/waypoints"


@pytest.fixture
def foxtrot() -> Iterator[FakeFoxtrot]:
    with FakeFoxtrot(KEY, DC).running() as fake:
        yield fake


def tracker(foxtrot: FakeFoxtrot, **kwargs: str) -> FoxtrotTracking:
    return FoxtrotTracking(kwargs.pop("key", KEY), DC, base_url=foxtrot.url, **kwargs)


def add_alex(foxtrot: FakeFoxtrot, **kwargs: object) -> None:
    foxtrot.add_customer(
        ALEX.phone,
        waypoint("wp-old", ALEX.phone, completed=NOW - timedelta(days=1, hours=2)),
        waypoint("wp-later", ALEX.phone, eta=NOW + timedelta(minutes=50), ahead=9),
        waypoint("wp-soon", ALEX.phone, eta=NOW + timedelta(minutes=12), ahead=4, waiting=300),
        **kwargs,
    )


def test_it_is_a_tracking_backend(foxtrot: FakeFoxtrot) -> None:
    assert isinstance(tracker(foxtrot), TrackingBackend)


def test_waypoints_become_deliveries_soonest_first(foxtrot: FakeFoxtrot) -> None:
    add_alex(foxtrot)
    soon, later, old = tracker(foxtrot).deliveries(ALEX)
    assert (soon.booking_id, later.booking_id, old.booking_id) == ("wp-soon", "wp-later", "wp-old")
    assert soon.status == ON_THE_WAY
    assert soon.eta == NOW + timedelta(minutes=12)
    assert (soon.stops_ahead, soon.waiting_seconds) == (4, 300)
    assert soon.description == "Delivery to 12 High Street, Kingston"
    assert soon.location_confident is True
    assert old.status == DELIVERED
    assert old.completed_at == NOW - timedelta(days=1, hours=2)
    assert (old.eta, old.stops_ahead, old.description) == (None, None, None)


def test_every_request_carries_the_api_key_and_the_json_content_type(
    foxtrot: FakeFoxtrot,
) -> None:
    add_alex(foxtrot)
    tracker(foxtrot).deliveries(ALEX)
    sent = foxtrot.recorded()
    assert [r.path for r in sent] == [
        WAYPOINTS,
        "/dcs/Foxtrot-DC/customers/447700900123",
        "/dcs/Foxtrot-DC/customers/447700900123/confident-location",
    ]
    assert all(r.method == "GET" for r in sent)
    assert all(r.header("Authorization") == f"Bearer {KEY}" for r in sent)
    assert all(r.header("Content-Type") == "application/json" for r in sent)


def test_only_completed_deliveries_ask_nothing_more(foxtrot: FakeFoxtrot) -> None:
    foxtrot.add_customer(ALEX.phone, waypoint("wp-1", ALEX.phone, completed=NOW))
    [done] = tracker(foxtrot).deliveries(ALEX)
    assert done.status == DELIVERED
    assert [r.path for r in foxtrot.recorded()] == [WAYPOINTS]


def test_a_customer_whose_location_is_not_confident_is_told_so(foxtrot: FakeFoxtrot) -> None:
    add_alex(foxtrot, location_confident=False)
    soon, later, old = tracker(foxtrot).deliveries(ALEX)
    assert soon.location_confident is False and later.location_confident is False
    assert old.location_confident is None  # delivered: where the customer is no longer matters
    assert soon.eta == NOW + timedelta(minutes=12)  # 7001 takes nothing else away


def test_failing_extra_calls_leave_tracking_working(foxtrot: FakeFoxtrot) -> None:
    add_alex(foxtrot)
    foxtrot.failing_calls = {"customer", "confident-location"}
    soon = tracker(foxtrot).deliveries(ALEX)[0]
    assert (soon.stops_ahead, soon.eta) == (4, NOW + timedelta(minutes=12))
    assert (soon.description, soon.location_confident) == (None, None)


def test_only_the_10_most_recent_waypoints_come_back(foxtrot: FakeFoxtrot) -> None:
    foxtrot.add_customer(
        ALEX.phone,
        *(
            waypoint(f"wp-{n}", ALEX.phone, completed=NOW - timedelta(days=20 - n))
            for n in range(14)
        ),
    )
    deliveries = tracker(foxtrot).deliveries(ALEX)
    assert len(deliveries) == 10
    assert deliveries[0].booking_id == "wp-13"  # the latest completed first


def test_the_documented_example_without_its_envelope_is_read(foxtrot: FakeFoxtrot) -> None:
    example = {
        "id": "The waypoint's id",
        "customer_id": "The customer's id",
        "status": "PENDING",
        "completed_timestamp": None,
        "estimated_time_of_arrival": 123456,
        "waypoints_ahead": 4,
        "waiting_time_seconds": 600,
        "route_id": "The route's id",
    }
    foxtrot.add_customer(ALEX.phone, example)
    foxtrot.unwrapped_waypoints = True
    [delivery] = tracker(foxtrot).deliveries(ALEX)
    assert delivery.booking_id == "The waypoint's id"
    assert (delivery.status, delivery.stops_ahead, delivery.waiting_seconds) == (ON_THE_WAY, 4, 600)
    assert delivery.eta is None  # 123456 ms after 1970 is a placeholder, not an ETA


def test_waypoints_given_as_a_bare_list_are_read() -> None:
    eta = NOW + timedelta(minutes=5)
    body = {"status": "success", "data": [waypoint("wp", ALEX.phone, eta=eta, ahead=1)]}

    def foxtrot(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/waypoints"):
            return httpx.Response(200, json=body)
        return httpx.Response(404, json={"status": "error", "data": {"code": 1, "message": ""}})

    backend = FoxtrotTracking(
        KEY, DC, base_url="http://foxtrot.test", transport=httpx.MockTransport(foxtrot)
    )
    [delivery] = backend.deliveries(ALEX)
    assert (delivery.eta, delivery.stops_ahead, delivery.description) == (eta, 1, None)


def test_eta_unit_is_a_setting(foxtrot: FakeFoxtrot) -> None:
    eta = NOW + timedelta(minutes=20)
    in_seconds = {
        **waypoint("wp-s", ALEX.phone, ahead=2),
        "estimated_time_of_arrival": int(eta.timestamp()),
    }
    foxtrot.add_customer(ALEX.phone, in_seconds)
    assert tracker(foxtrot, eta_unit="s").deliveries(ALEX)[0].eta == eta
    assert tracker(foxtrot, eta_unit="ms").deliveries(ALEX)[0].eta is None  # would be 1970
    assert epoch_ms(eta) == int(eta.timestamp()) * 1000


@pytest.mark.parametrize(
    ("status", "expected"),
    [("FAILED", NOT_DELIVERED), ("SKIPPED", NOT_DELIVERED), ("DELIVERED", DELIVERED)],
)
def test_finished_statuses(foxtrot: FakeFoxtrot, status: str, expected: str) -> None:
    foxtrot.add_customer(ALEX.phone, waypoint("wp", ALEX.phone, ahead=3, status=status))
    [delivery] = tracker(foxtrot).deliveries(ALEX)
    assert delivery.status == expected
    assert delivery.stops_ahead is None


# --- who the customer is on Foxtrot ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("mapping", "foxtrot_id"),
    [
        ("phone", "447700900123"),
        ("email", "alex@example.com"),
        ("id", "1"),
        ("cust-{phone}", "cust-447700900123"),
        ("{id}-{email}", "1-alex@example.com"),
    ],
)
def test_the_foxtrot_customer_id_is_configurable(
    foxtrot: FakeFoxtrot, mapping: str, foxtrot_id: str
) -> None:
    foxtrot.add_customer(foxtrot_id, waypoint("wp", foxtrot_id, completed=NOW))
    [delivery] = tracker(foxtrot, customer_id=mapping).deliveries(ALEX)
    assert delivery.booking_id == "wp"


def test_a_tracking_id_set_by_the_login_backend_wins(foxtrot: FakeFoxtrot) -> None:
    foxtrot.add_customer("fx-77", waypoint("wp", "fx-77", completed=NOW))
    customer = Customer(id="1", name="Alex", phone=ALEX.phone, tracking_id="fx-77")
    assert tracker(foxtrot).deliveries(customer)[0].booking_id == "wp"


def test_a_customer_without_the_mapped_field_has_no_deliveries(foxtrot: FakeFoxtrot) -> None:
    with pytest.raises(BookingNotFound):
        tracker(foxtrot, customer_id="email").deliveries(Customer(id="1", name="", phone="44"))
    assert foxtrot.recorded() == []


@pytest.mark.parametrize(
    ("setting", "value"),
    [("customer_id", "{name}"), ("customer_id", "nothing"), ("eta_unit", "minutes")],
)
def test_bad_settings_are_refused_naming_the_variable(
    foxtrot: FakeFoxtrot, setting: str, value: str
) -> None:
    variable = {"customer_id": "FOXTROT_CUSTOMER_ID", "eta_unit": "FOXTROT_ETA_UNIT"}[setting]
    with pytest.raises(ValueError, match=variable):
        tracker(foxtrot, **{setting: value})
    with pytest.raises(ValueError, match="FOXTROT_API_KEY"):
        FoxtrotTracking(None, DC, base_url=foxtrot.url)
    with pytest.raises(ValueError, match="FOXTROT_DC_ID"):
        FoxtrotTracking(KEY, None, base_url=foxtrot.url)


# --- failures -------------------------------------------------------------------------------------


def test_a_rejected_api_key_is_an_operator_error_and_a_polite_outage(
    foxtrot: FakeFoxtrot, caplog: pytest.LogCaptureFixture
) -> None:
    add_alex(foxtrot)
    caplog.set_level(logging.DEBUG)
    backend = tracker(foxtrot, key="wrong-key")
    with pytest.raises(BackendUnavailable):
        backend.deliveries(ALEX)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("FOXTROT_API_KEY" in message for message in errors)
    assert "wrong-key" not in caplog.text
    assert backend.health() is False


@pytest.mark.parametrize("why", ["unknown customer", "wrong dc", "403", "404"])
def test_no_deliveries_found(foxtrot: FakeFoxtrot, why: str) -> None:
    add_alex(foxtrot)
    customer, dc = ALEX, DC
    if why == "unknown customer":
        customer = Customer(id="2", name="Sam", phone="15555550123")
    elif why == "wrong dc":
        dc = "Other-DC"
    else:
        foxtrot.force_status = int(why)
    backend = FoxtrotTracking(KEY, dc, base_url=foxtrot.url)
    with pytest.raises(BookingNotFound):
        backend.deliveries(customer)


@pytest.mark.parametrize("fault", ["500", "503", "non_json", "wrong_shape", "drop"])
def test_a_failing_platform_is_unavailable(foxtrot: FakeFoxtrot, fault: str) -> None:
    add_alex(foxtrot)
    foxtrot.fault = fault
    with pytest.raises(BackendUnavailable):
        tracker(foxtrot).deliveries(ALEX)


def test_a_passing_5xx_is_retried(foxtrot: FakeFoxtrot) -> None:
    add_alex(foxtrot)
    foxtrot.fault, foxtrot.fault_times = "502", 1
    assert tracker(foxtrot).deliveries(ALEX)[0].booking_id == "wp-soon"


def test_health_is_the_dc_list(foxtrot: FakeFoxtrot) -> None:
    assert tracker(foxtrot).health() is True
    assert [r.path for r in foxtrot.recorded()] == ["/dcs"]
    foxtrot.fault = "503"
    assert tracker(foxtrot).health() is False


def test_the_local_server_refuses_requests_without_the_key(foxtrot: FakeFoxtrot) -> None:
    add_alex(foxtrot)
    answer = httpx.get(foxtrot.url + WAYPOINTS)
    assert answer.status_code == 401
    assert answer.json()["status"] == "error" and "code" in answer.json()["data"]
    with_key = httpx.get(foxtrot.url + WAYPOINTS, headers={"Authorization": f"Bearer {KEY}"})
    assert with_key.json()["status"] == "success"
