"""Inserting bookings with their extras in a few round trips."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, insert

from bot.backends.builtin import schema


def insert_bookings(
    conn: Connection,
    rows: Sequence[Mapping[str, Any]],
    extras: Sequence[Sequence[tuple[str, int]]],
) -> list[int]:
    """Insert booking rows (all with the same keys) and each row's (extra id, quantity) pairs.

    Returns the new booking ids in the order of `rows`.
    """
    if not rows:
        return []
    statement = insert(schema.bookings).returning(
        schema.bookings.c.id, sort_by_parameter_order=True
    )
    ids = list(conn.execute(statement, list(rows)).scalars())
    extra_rows = [
        {
            "booking_id": booking_id,
            "service_id": row["service_id"],
            "extra_id": extra_id,
            "quantity": quantity,
        }
        for booking_id, row, chosen in zip(ids, rows, extras, strict=True)
        for extra_id, quantity in chosen
    ]
    if extra_rows:
        conn.execute(insert(schema.booking_extras), extra_rows)
    return ids
