"""Tables of the built-in store (SQLAlchemy Core; the same schema on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

FIRST_BOOKING_ID = 1001


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every dialect.

    SQLite keeps datetimes as text and silently drops the offset, so values are normalised to UTC
    and stored naive there (fixed-width text, so comparisons in SQL stay chronological).
    """

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"expected an aware datetime, got {value!r}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData()

customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("phone", String(20), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("email", String(254)),
    Column("pin_hash", String(128), nullable=False),
    Column("pin_salt", String(64), nullable=False),
)

services = Table(
    "services",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("price_minor", Integer, nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("sort", Integer, nullable=False, default=0),
)

extras = Table(
    "extras",
    metadata,
    Column("service_id", String(40), ForeignKey("services.id"), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("price_minor", Integer, nullable=False),
    Column("max_quantity", Integer, nullable=False),
    Column("sort", Integer, nullable=False, default=0),
)

frequencies = Table(
    "frequencies",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(60), nullable=False),
    Column("interval_days", Integer),
    Column("discount_percent", Integer, nullable=False, default=0),
    Column("sort", Integer, nullable=False, default=0),
)

series = Table(
    "series",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("frequency_id", String(40), ForeignKey("frequencies.id"), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

bookings = Table(
    "bookings",
    metadata,
    Column("id", Integer, Identity(start=FIRST_BOOKING_ID), primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("service_id", String(40), ForeignKey("services.id"), nullable=False),
    Column("start", UTCDateTime(), nullable=False),
    Column("status", String(20), nullable=False),
    Column("address", String(200)),
    Column("city", String(120)),
    Column("postcode", String(20)),
    Column("pickup", String(200)),
    Column("dropoff", String(200)),
    Column("lat", Float),
    Column("lon", Float),
    Column("note", Text),
    Column("price_minor", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("frequency_id", String(40), ForeignKey("frequencies.id")),
    Column("series_id", Integer, ForeignKey("series.id")),
    Column("idempotency_key", String(200)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("cancelled_at", UTCDateTime()),
    Column("cancellation_fee_minor", Integer),
    UniqueConstraint("customer_id", "idempotency_key", name="uq_bookings_customer_key"),
    Index("ix_bookings_customer_start", "customer_id", "start"),
    Index("ix_bookings_series_start", "series_id", "start"),
    sqlite_autoincrement=True,
)

booking_extras = Table(
    "booking_extras",
    metadata,
    Column("booking_id", Integer, ForeignKey("bookings.id"), primary_key=True),
    Column("service_id", String(40), nullable=False),
    Column("extra_id", String(40), primary_key=True),
    Column("quantity", Integer, nullable=False),
    ForeignKeyConstraint(["service_id", "extra_id"], ["extras.service_id", "extras.id"]),
)

ALL_TABLES = (customers, services, extras, frequencies, series, bookings, booking_extras)
