"""Checks a BookingRequest against the catalogue and the booking window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.backends.protocol import BookingRequest, Catalogue, Extra, Frequency, Rejected, Service


@dataclass(frozen=True)
class ValidRequest:
    service: Service
    extras: tuple[tuple[Extra, int], ...]
    frequency: Frequency


def validate(
    catalogue: Catalogue, request: BookingRequest, now: datetime, tz: ZoneInfo
) -> ValidRequest:
    """Every problem with the request, raised together as one Rejected keyed by field."""
    problems: dict[str, str] = {}

    service = catalogue.service(request.service_id)
    if service is None:
        problems["service"] = "Sorry, we don't offer that service. Please choose one from the list."

    frequency = catalogue.frequency(request.frequency_id or "one-off")
    if frequency is None:
        problems["frequency"] = "Please choose how often: one-off, weekly or fortnightly."

    chosen: list[tuple[Extra, int]] = []
    if service is not None:
        extras_problem = _check_extras(service, request, chosen)
        if extras_problem:
            problems["extras"] = extras_problem
        problems.update(_check_place(service, request))

    start_problem = _check_start(catalogue, request.start, now, tz)
    if start_problem:
        problems["start"] = start_problem

    if problems:
        raise Rejected(" ".join(problems.values()), fields=problems)
    assert service is not None and frequency is not None
    return ValidRequest(service=service, extras=tuple(chosen), frequency=frequency)


def _check_extras(
    service: Service, request: BookingRequest, chosen: list[tuple[Extra, int]]
) -> str | None:
    offered = {extra.id: extra for extra in service.extras}
    for extra_id, quantity in request.extras.items():
        extra = offered.get(extra_id)
        if extra is None:
            return f"'{extra_id}' is not an extra we offer with a {service.name}."
        if not isinstance(quantity, int) or not 1 <= quantity <= extra.max_quantity:
            if extra.max_quantity == 1:
                return f"{extra.name} can be added once."
            return f"{extra.name}: choose between 1 and {extra.max_quantity}."
        chosen.append((extra, quantity))
    order = {extra.id: i for i, extra in enumerate(service.extras)}
    chosen.sort(key=lambda pair: order[pair[0].id])
    return None


def _check_place(service: Service, request: BookingRequest) -> dict[str, str]:
    problems = {}
    if service.kind == "address":
        if not (request.address or "").strip():
            problems["address"] = f"Please give the address for the {service.name}."
    else:
        if not (request.pickup or "").strip():
            problems["pickup"] = "Please say where we should pick you up."
        if not (request.dropoff or "").strip():
            problems["dropoff"] = "Please say where you are going."
    return problems


def _check_start(catalogue: Catalogue, start: datetime, now: datetime, tz: ZoneInfo) -> str | None:
    window = catalogue.window
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    if start <= now:
        return "That time has already passed. Please choose a later time."
    if start < now + window.min_notice:
        return f"Please choose a time at least {_duration(window.min_notice)} from now."
    if start > now + window.max_ahead:
        return f"We take bookings up to {_duration(window.max_ahead)} ahead."
    local = start.astimezone(tz).time()
    if not window.opens <= local <= window.closes:
        opens, closes = window.opens.strftime("%H:%M"), window.closes.strftime("%H:%M")
        return f"Please choose a start time between {opens} and {closes}."
    return None


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    count, unit = minutes, "minute"
    if minutes and minutes % 1440 == 0:
        count, unit = minutes // 1440, "day"
    elif minutes and minutes % 60 == 0:
        count, unit = minutes // 60, "hour"
    return f"{count} {unit}{'' if count == 1 else 's'}"
