"""A booking backend with TRACK from Foxtrot: the built-in store (and Gazoop) logs in and lists,
Foxtrot says where the delivery is."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.backends.builtin import BuiltinBackend
from bot.backends.composed import ComposedBackend, make_platform_backend, make_tracking_backend
from bot.backends.foxtrot import FoxtrotTracking
from bot.backends.gazoop import GazoopBackend
from bot.backends.protocol import (
    BookingBackend,
    BookingNotFound,
    Capability,
    LinkLogin,
    TrackingBackend,
)
from bot.backends.tracking_text import describe_delivery
from bot.config import Settings
from tests.fakes.foxtrot_server import FakeFoxtrot, waypoint
from tests.fakes.gazoop_server import FakeGazoop

KEY, DC = "fox-test-key", "Foxtrot-DC"
PHONE, PIN = "447700900123", "1234"


@pytest.fixture
def foxtrot() -> Iterator[FakeFoxtrot]:
    with FakeFoxtrot(KEY, DC).running() as fake:
        yield fake


@pytest.fixture
def gazoop() -> Iterator[FakeGazoop]:
    with FakeGazoop({PHONE: PIN}).running() as fake:
        yield fake


@pytest.fixture
def builtin(tmp_path: Path, clock: Any) -> Iterator[BuiltinBackend]:
    backend = BuiltinBackend(f"sqlite:///{tmp_path / 'bookings.sqlite3'}", clock=clock)
    backend.ensure_demo()
    yield backend
    backend.close()


@pytest.fixture
def composed(builtin: BuiltinBackend, foxtrot: FakeFoxtrot) -> ComposedBackend:
    return ComposedBackend(builtin, FoxtrotTracking(KEY, DC, base_url=foxtrot.url))


def on_its_way(foxtrot: FakeFoxtrot, now: datetime) -> None:
    foxtrot.add_customer(
        PHONE,
        waypoint("wp-done", PHONE, completed=now - timedelta(days=2)),
        waypoint("wp-next", PHONE, eta=now + timedelta(minutes=12), ahead=4),
    )


def test_it_is_both_a_booking_and_a_tracking_backend(composed: ComposedBackend) -> None:
    assert isinstance(composed, BookingBackend) and isinstance(composed, TrackingBackend)
    assert not isinstance(composed, LinkLogin)  # the built-in store logs in with a PIN
    assert composed.name == "builtin+foxtrot"
    assert composed.capabilities == {
        Capability.LIST,
        Capability.BOOK,
        Capability.CANCEL,
        Capability.TRACK,
    }


def test_login_and_lists_are_the_booking_backends_and_track_is_foxtrots(
    composed: ComposedBackend, builtin: BuiltinBackend, foxtrot: FakeFoxtrot, clock: Any
) -> None:
    on_its_way(foxtrot, clock.now)
    customer = composed.login(PHONE, PIN)
    assert customer.name == "Alex Morgan"
    bookings = composed.recent_bookings(customer)
    assert [b.id for b in bookings] == [b.id for b in builtin.recent_bookings(customer)]
    tracking = composed.track(customer, bookings[0].id)
    assert (tracking.booking_id, tracking.stops_ahead) == ("wp-next", 4)
    assert describe_delivery(tracking, clock.now, ZoneInfo("Europe/London")) == (
        "Your delivery is 4 stops away, about 12 min (around 10:12)."
    )
    assert foxtrot.recorded()[0].path == f"/dcs/{DC}/customers/{PHONE}/waypoints"


def test_a_delivery_can_be_tracked_by_its_own_id(
    composed: ComposedBackend, foxtrot: FakeFoxtrot, clock: Any
) -> None:
    on_its_way(foxtrot, clock.now)
    customer = composed.login(PHONE, PIN)
    assert composed.track(customer, "#wp-done").completed_at == clock.now - timedelta(days=2)
    assert [d.booking_id for d in composed.deliveries(customer)] == ["wp-next", "wp-done"]


def test_no_deliveries_is_booking_not_found(composed: ComposedBackend) -> None:
    customer = composed.login(PHONE, PIN)
    with pytest.raises(BookingNotFound):
        composed.track(customer, "1")


def test_health_needs_both(composed: ComposedBackend, foxtrot: FakeFoxtrot) -> None:
    assert composed.health() is True
    foxtrot.fault = "503"
    assert composed.health() is False


def test_gazoop_with_foxtrot_lists_and_tracks(
    gazoop: FakeGazoop, foxtrot: FakeFoxtrot, clock: Any
) -> None:
    settings = Settings(
        booking_backend="gazoop",
        gazoop_url=gazoop.url,
        tracking_backend="foxtrot",
        foxtrot_url=foxtrot.url,
        foxtrot_api_key=KEY,
        foxtrot_dc_id=DC,
        foxtrot_customer_id="cust-{phone}",
    )
    foxtrot.add_customer(f"cust-{PHONE}", waypoint("wp", f"cust-{PHONE}", ahead=2))
    backend = make_platform_backend(settings, clock)
    try:
        assert isinstance(backend, ComposedBackend)
        assert backend.capabilities == {Capability.LIST, Capability.TRACK}
        assert backend.history_limit == 25
        customer = backend.login(PHONE, PIN)
        assert len(backend.recent_bookings(customer)) == 15
        assert backend.track(customer, "884750").stops_ahead == 2
    finally:
        backend.close()


def test_without_a_tracking_backend_gazoop_is_itself(gazoop: FakeGazoop) -> None:
    backend = make_platform_backend(Settings(booking_backend="gazoop", gazoop_url=gazoop.url))
    assert isinstance(backend, GazoopBackend)
    backend.close()


def test_a_backend_built_elsewhere_gets_foxtrot_composed_in(
    builtin: BuiltinBackend, foxtrot: FakeFoxtrot
) -> None:
    settings = Settings(
        tracking_backend="foxtrot", foxtrot_url=foxtrot.url, foxtrot_api_key=KEY, foxtrot_dc_id=DC
    )
    composed = make_platform_backend(settings, booking_backend=builtin)
    assert isinstance(composed, ComposedBackend) and composed.booking_backend is builtin
    own = make_platform_backend(Settings(tracking_backend="builtin"), booking_backend=builtin)
    assert own is builtin  # TRACKING_BACKEND naming the booking backend: its own TRACK


@pytest.mark.parametrize(
    ("settings", "variable"),
    [
        (Settings(booking_backend="gazoop"), "GAZOOP_URL"),
        (
            Settings(booking_backend="gazoop", gazoop_url="http://g", tracking_backend="x"),
            "TRACKING_BACKEND",
        ),
        (
            Settings(booking_backend="gazoop", gazoop_url="http://g", tracking_backend="foxtrot"),
            "FOXTROT_API_KEY",
        ),
    ],
)
def test_missing_or_wrong_settings_are_named(settings: Settings, variable: str) -> None:
    with pytest.raises(ValueError, match=variable):
        make_platform_backend(settings)


def test_settings_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "BOOKING_BACKEND": "gazoop",
            "GAZOOP_URL": "https://gazoop.example/",
            "TRACKING_BACKEND": "Foxtrot",
            "FOXTROT_API_KEY": "k",
            "FOXTROT_DC_ID": "Foxtrot-DC",
            "FOXTROT_CUSTOMER_ID": "cust-{phone}",
            "FOXTROT_ETA_UNIT": "S",
        }
    )
    assert settings.gazoop_url == "https://gazoop.example"
    assert settings.tracking_backend == "foxtrot"
    assert settings.foxtrot_url == "https://apiv1.foxtrotsystems.com"
    assert (settings.foxtrot_api_key, settings.foxtrot_dc_id) == ("k", "Foxtrot-DC")
    assert (settings.foxtrot_customer_id, settings.foxtrot_eta_unit) == ("cust-{phone}", "s")
    tracking = make_tracking_backend(settings)
    assert isinstance(tracking, FoxtrotTracking)
    tracking.close()
    defaults = Settings.from_env({})
    assert (defaults.tracking_backend, defaults.foxtrot_eta_unit) == (None, "ms")
