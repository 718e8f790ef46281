"""Choosing the backend and its database."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from bot.backends import make_backend
from bot.backends.builtin import BuiltinBackend
from bot.backends.builtin.database import is_memory_sqlite, normalise_url
from bot.config import Settings


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "postgres://u:p@db.example.com:5432/app",
            "postgresql+psycopg://u:***@db.example.com:5432/app",
        ),
        (
            "postgresql://u@localhost/app?sslmode=require",
            "postgresql+psycopg://u@localhost/app?sslmode=require",
        ),
        ("postgresql+psycopg://u@localhost/app", "postgresql+psycopg://u@localhost/app"),
        ("sqlite:////tmp/x.sqlite3", "sqlite:////tmp/x.sqlite3"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_normalise_url(given: str, expected: str) -> None:
    assert str(normalise_url(given)) == expected


def test_default_database_is_a_file_in_the_user_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data" / "booking-bot"
    monkeypatch.setattr(platformdirs, "user_data_dir", lambda name: str(data_dir))
    url = normalise_url(None)
    assert url.get_backend_name() == "sqlite"
    assert url.database == str(data_dir / "bookings.sqlite3")
    assert data_dir.is_dir()
    assert not is_memory_sqlite(url)


def test_memory_urls() -> None:
    assert is_memory_sqlite(normalise_url("sqlite://"))
    assert is_memory_sqlite(normalise_url("sqlite:///:memory:"))
    assert not is_memory_sqlite(normalise_url("postgresql://u@h/db"))


def test_make_backend_builtin() -> None:
    backend = make_backend(Settings(database_url="sqlite://"))
    try:
        assert isinstance(backend, BuiltinBackend)
        assert backend.health()
    finally:
        backend.close()


@pytest.mark.parametrize(
    ("name", "missing"),
    [("gazoop", "GAZOOP_URL"), ("car2go", "CAR2GO_"), ("foxtrot", "TRACKING_BACKEND=foxtrot")],
)
def test_make_backend_names_what_a_platform_still_needs(name: str, missing: str) -> None:
    with pytest.raises(ValueError, match=missing):
        make_backend(Settings(booking_backend=name))


def test_make_backend_composes_foxtrot_tracking_with_the_builtin_store() -> None:
    from bot.backends.composed import ComposedBackend
    from bot.backends.protocol import Capability

    settings = Settings(
        database_url="sqlite://",
        tracking_backend="foxtrot",
        foxtrot_api_key="key",
        foxtrot_dc_id="dc1",
    )
    backend = make_backend(settings)
    try:
        assert isinstance(backend, ComposedBackend)
        assert Capability.TRACK in backend.capabilities
        assert Capability.BOOK in backend.capabilities
    finally:
        backend.close()


def test_make_backend_unknown() -> None:
    with pytest.raises(ValueError, match="builtin, launch27, gazoop, car2go, foxtrot"):
        make_backend(Settings(booking_backend="nope"))


def test_bad_fee_setting_fails_at_start() -> None:
    with pytest.raises(ValueError, match="LATE_CANCEL_FEE"):
        BuiltinBackend("sqlite://", settings=Settings(late_cancel_fee="a lot"))
