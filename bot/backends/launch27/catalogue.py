"""Launch27's booking helpers as protocol types: account settings, services (extras, pricing
parameters), frequencies, the new-booking policy and price estimation.

Decisions where the pages are cut off or silent:
- Hourly services (`hourly` set) are left out: the chat asks no hours/minutes.
- An extra that is not `quantity_based` can be taken once; a quantity-based one up to 10 times.
- A frequency's interval ("1w", "2w", "4w", "1m", "o") becomes days (a month is 30); "o" is a
  one-off.
- The estimate's answer (`services`, `extras`, `discount_amount`, `tax`, `total`) becomes the
  quote's lines; `tax` is read as a number or as an object with `amount`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.backends.launch27.policy import minor
from bot.backends.protocol import (
    BackendUnavailable,
    BookingRequest,
    BookingWindow,
    Catalogue,
    Extra,
    Frequency,
    Money,
    PricingParameter,
    Quote,
    Rejected,
    Service,
)

P = ParamSpec("P")
T = TypeVar("T")
INTERVAL = re.compile(r"(\d+)([dwm])")
DAYS = {"d": 1, "w": 7, "m": 30}


class WrongShape(BackendUnavailable):
    pass


def shaped(what: str) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Reading a platform body: whatever it holds, a wrong shape is BackendUnavailable, never a
    KeyError or TypeError escaping into the conversation."""

    def wrap(read: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(read)
        def checked(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                return read(*args, **kwargs)
            except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
                raise WrongShape(f"Launch27 sent {what} of the wrong shape") from exc

        return checked

    return wrap


def need(value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise WrongShape(f"Launch27 sent {what} of the wrong shape")
    return value


@dataclass(frozen=True)
class Account:
    """GET /settings: what the business is called, its time zone and currency."""

    name: str
    tz: ZoneInfo
    currency: str

    @classmethod
    @shaped("settings")
    def from_json(cls, body: Any, fallback_tz: ZoneInfo, fallback_currency: str) -> Account:
        need(body, dict, "settings")
        tz = fallback_tz
        if isinstance(body.get("timezone"), str):
            try:
                tz = ZoneInfo(body["timezone"])
            except (ZoneInfoNotFoundError, ValueError):
                tz = fallback_tz
        currency = body.get("currency")
        code = currency.get("code") if isinstance(currency, dict) else None
        return cls(
            name=str(body.get("name") or ""),
            tz=tz,
            currency=code.upper() if isinstance(code, str) else fallback_currency,
        )

    def money(self, value: Any) -> Money:
        return Money(minor(value), self.currency)

    def local(self, service_date: Any) -> datetime:
        """A `service_date` ("2015-08-15T13:00", business time) as an aware UTC datetime."""
        try:
            parsed = datetime.fromisoformat(need(service_date, str, "a service date"))
        except ValueError as exc:
            raise WrongShape(f"Launch27 sent service date {service_date!r}") from exc
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self.tz)
        return parsed.astimezone(ZoneInfo("UTC"))

    def service_date(self, start: datetime, seconds: bool) -> str:
        local = start.astimezone(self.tz)
        return local.strftime("%Y-%m-%dT%H:%M:%S" if seconds else "%Y-%m-%dT%H:%M")


def interval_days(interval: Any) -> int | None:
    text = str(interval or "o").strip().lower()
    if text == "o":
        return None
    days = sum(int(n) * DAYS[unit] for n, unit in INTERVAL.findall(text))
    return days or None


@shaped("services")
def services(body: Any, account: Account) -> tuple[Service, ...]:
    result = []
    for item in need(body, list, "services"):
        need(item, dict, "a service")
        if item.get("hourly"):
            continue
        extras = tuple(
            Extra(
                id=str(need(extra, dict, "an extra")["id"]),
                name=str(extra.get("name") or ""),
                price=account.money(extra.get("price", 0)),
                max_quantity=10 if extra.get("quantity_based") else 1,
            )
            for extra in need(item.get("extras") or [], list, "extras")
        )
        parameters = tuple(
            PricingParameter(
                id=str(need(p, dict, "a pricing parameter")["id"]),
                name=str(p.get("name") or ""),
                minimum=int(p.get("quantity_minimum") or 0),
                maximum=int(p.get("quantity_maximum") or 10),
                default=int(p.get("quantity_minimum") or 0) or None,
                price=account.money(p["price"]) if p.get("price") is not None else None,
            )
            for p in need(item.get("pricing_parameters") or [], list, "pricing parameters")
        )
        result.append(
            Service(
                id=str(need(item.get("id"), int, "a service id")),
                name=str(need(item.get("name"), str, "a service name")),
                price=account.money(item.get("price", 0)),
                extras=extras,
                pricing_parameters=parameters,
            )
        )
    return tuple(result)


@shaped("frequencies")
def frequencies(body: Any) -> tuple[Frequency, ...]:
    result = []
    for item in need(body, list, "frequencies"):
        need(item, dict, "a frequency")
        result.append(
            Frequency(
                id=str(need(item.get("id"), int, "a frequency id")),
                name=str(need(item.get("name"), str, "a frequency name")),
                interval_days=interval_days(item.get("interval")),
                discount_percent=int(item.get("percent") or 0),
            )
        )
    return tuple(result)


@shaped("a catalogue")
def catalogue(services_: Any, frequencies_: Any, window: Any, account: Account) -> Catalogue:
    from bot.backends.launch27.policy import min_notice

    notice = min_notice(window)
    booking_window = BookingWindow() if notice is None else BookingWindow(min_notice=notice)
    return Catalogue(services(services_, account), frequencies(frequencies_), booking_window)


def one_off(catalogue_: Catalogue) -> str:
    """The frequency a request without one is booked with (Launch27 requires frequency_id)."""
    for frequency in catalogue_.frequencies:
        if frequency.interval_days is None:
            return frequency.id
    raise Rejected("This business offers no one-off bookings.", {"frequency_id": "required"})


def platform_id(value: str, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Rejected(f"{value!r} is not a Launch27 id", {field: "unknown"}) from None


def estimate_body(request: BookingRequest, catalogue_: Catalogue, account: Account) -> dict:
    """POST /booking/estimate_price (the same services block as create, keyed `id`)."""
    return {
        "service_date": account.service_date(request.start, seconds=True),
        "frequency_id": platform_id(request.frequency_id or one_off(catalogue_), "frequency_id"),
        "services": [
            {
                "id": platform_id(line.service_id, "service_id"),
                "extras": [
                    {"id": platform_id(k, "extras"), "quantity": q} for k, q in line.extras.items()
                ],
                "pricing_parameters": [
                    {"id": platform_id(k, "pricing"), "quantity": q}
                    for k, q in line.pricing.items()
                ],
            }
            for line in request.service_lines
        ],
    }


@shaped("a price estimate")
def quote(body: Any, account: Account) -> Quote:
    need(body, dict, "a price estimate")
    if "total" not in body:
        raise WrongShape("Launch27 sent a price estimate without a total")
    lines: list[tuple[str, Money]] = []
    for label, key, sign in (
        ("Services", "services", 1),
        ("Extras", "extras", 1),
        ("Discount", "discount_amount", -1),
    ):
        if body.get(key):
            value = account.money(body[key])
            lines.append((label, Money(sign * abs(value.minor), value.currency)))
    tax = body.get("tax")
    tax_amount = tax.get("amount") if isinstance(tax, dict) else tax
    if tax_amount:
        lines.append(("Tax", account.money(tax_amount)))
    return Quote(total=account.money(body["total"]), lines=tuple(lines))
