"""Sessions as stored: typed msgspec JSON, tokens sealed, records of the previous format still read."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime

from bot.backends.protocol import Booking, BookingStatus, Customer, Money
from bot.secret_box import SecretBox
from bot.sessions import KeptList, Session, SessionCodec
from tests.conftest import TEST_SECRETS_KEY

BOX = SecretBox(TEST_SECRETS_KEY)
BOOKING = Booking(
    id="1002",
    status=BookingStatus.BOOKED,
    start=datetime(2026, 11, 23, 15, 0, tzinfo=UTC),
    service="City ride",
    pickup="Kings Cross",
    dropoff="Heathrow T5",
    price=Money(4550, "GBP"),
    extras=("Child seat",),
    details=(("Plate", "AB12 CDE"),),
)


def logged_in_session() -> Session:
    session = Session(state="bookings", listed=["1002"], options=["1002", "MENU"])
    session.set_customer(Customer("7", "Alex", "447700900123", token="tok-123", token_secret="s"))
    session.data = {"past": False, "secrets": {"pin": "1234"}}
    session.kept_list = KeptList.of("7", 1_700_000_000.5, 25, [BOOKING])
    session.updated_at = 1_700_000_001.25
    return session


def test_a_session_comes_back_as_it_was_stored():
    codec = SessionCodec(BOX)
    session = logged_in_session()
    assert codec.decode(codec.encode(session)) == session


def test_the_kept_bookings_come_back_as_they_were_kept():
    codec = SessionCodec(BOX)
    kept = codec.decode(codec.encode(logged_in_session())).kept_list
    assert kept is not None and kept.booking_list() == [BOOKING]


def test_tokens_and_secrets_are_stored_sealed_only():
    codec = SessionCodec(BOX)
    session = logged_in_session()
    stored = codec.encode(session)
    assert "tok-123" not in stored and '"1234"' not in stored
    assert session.customer["token"] == "tok-123", "encoding leaves the session itself alone"
    assert session.data["secrets"] == {"pin": "1234"}


def test_a_record_of_the_previous_format_is_read():
    """json.dumps(asdict(session)) with sealed tokens: what sessions in Redis look like after a
    deploy of this version; nobody is logged out by it."""
    session = logged_in_session()
    session.kept_list = None
    record = asdict(session)
    del record["kept_list"]
    record["customer"]["token"] = BOX.seal("tok-123")
    record["customer"]["token_secret"] = BOX.seal("s")
    record["data"]["secrets"] = {"pin": BOX.seal("1234")}
    decoded = SessionCodec(BOX).decode(json.dumps(record, separators=(",", ":")))
    assert decoded == session
    assert decoded.get_customer().token == "tok-123"


def test_a_record_with_unexpected_types_is_read_field_by_field():
    record = {"state": "menu", "listed": [1002, 1003], "updated_at": 5, "kept_list": "junk"}
    decoded = SessionCodec(BOX).decode(json.dumps(record))
    assert decoded.state == "menu"
    assert decoded.listed == [1002, 1003]
    assert decoded.kept_list is None


def test_unknown_fields_are_ignored_and_junk_starts_afresh():
    codec = SessionCodec(BOX)
    assert codec.decode('{"state":"menu","from_a_newer_version":1}').state == "menu"
    assert codec.decode("[1, 2]") == Session()
    assert codec.decode("not json") == Session()
    assert codec.decode(None) == Session()
