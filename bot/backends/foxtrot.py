"""Foxtrot customers API: where a customer's delivery is (TRACK for any booking backend).

platform-docs/002 and extra/foxtrot-*: base URL `https://apiv1.foxtrotsystems.com`, headers
`Authorization: Bearer <API key>` and `Content-Type: application/json` on every request, answers
wrapped as `{"status": "success"|"pending"|"error", "data": ...}` with `{code, message}` as the
data of an error. `GET /dcs/{dc}/customers/{id}/waypoints` gives the customer's 10 most recent
waypoints; `GET /dcs/{dc}/customers/{id}` the customer (its address describes the delivery);
`GET /dcs/{dc}/customers/{id}/confident-location` whether Foxtrot is sure where the customer is
(400 with error 7001 when it is not).

Where the documentation is silent, this adapter decides (tests/fakes/foxtrot_server.py agrees):
- `estimated_time_of_arrival` and `completed_timestamp` are UNIX epoch times in milliseconds, as
  the only unit the documentation states (Route.start_time); `FOXTROT_ETA_UNIT=s` reads them as
  seconds. A value before 2001 (such as the documentation's example 123456) is no ETA at all.
- The waypoints example is shown without the envelope; both forms are read, and so is a bare
  list of waypoints as `data`.
- A waypoint with `completed_timestamp`, or status COMPLETED/DELIVERED/SUCCESS, is delivered;
  FAILED/CANCELLED/SKIPPED/UNSUCCESSFUL is not delivered; anything else is on the way.
- Unknown customers: the waypoints call documents no 404, so both a 404 and an empty list mean
  "no deliveries found"; so does 403 (the DC does not exist or the key may not see it), which
  is also logged for the operator. 401 is logged as an operator error (the API key) and
  answered as an outage.
- The customer and confident-location calls only add to a delivery still on the way; if they
  fail, tracking still answers without them.
"""

from __future__ import annotations

import logging
import string
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, NoReturn
from urllib.parse import quote

import httpx

from bot.backends.platform_http import PlatformHttp
from bot.backends.protocol import (
    BackendError,
    BackendUnavailable,
    BookingNotFound,
    Customer,
    Tracking,
)

log = logging.getLogger(__name__)

DEFAULT_URL = "https://apiv1.foxtrotsystems.com"
LOCATION_NOT_CONFIDENT = 7001
ETA_UNITS = {"ms": 1000, "s": 1}
CUSTOMER_FIELDS = ("phone", "email", "id")
_EARLIEST_PLAUSIBLE = datetime(2001, 1, 1, tzinfo=UTC)

ON_THE_WAY = "on the way"
DELIVERED = "delivered"
NOT_DELIVERED = "not delivered"
_DELIVERED = {"COMPLETED", "COMPLETE", "DELIVERED", "SUCCESS", "SUCCESSFUL"}
_NOT_DELIVERED = {"FAILED", "CANCELLED", "CANCELED", "SKIPPED", "UNSUCCESSFUL"}


class FoxtrotError(BackendError):
    """An error answer (`{"status": "error", "data": {"code", "message"}}`) worth telling apart."""

    def __init__(self, code: Any, message: str) -> None:
        super().__init__(f"Foxtrot error {code}: {message}")
        self.code = code


def check_customer_mapping(mapping: str) -> str:
    """`phone`, `email`, `id` or a template of them (`cust-{phone}`); ValueError otherwise."""
    mapping = mapping.strip()
    if mapping in CUSTOMER_FIELDS:
        return mapping
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(mapping) if name is not None]
    except ValueError as exc:
        raise ValueError(f"FOXTROT_CUSTOMER_ID={mapping!r} is not a template: {exc}") from None
    if not names or any(name not in CUSTOMER_FIELDS for name in names):
        raise ValueError(
            f"FOXTROT_CUSTOMER_ID={mapping!r}: use phone, email, id or a template of them "
            "such as cust-{phone}"
        )
    return mapping


def foxtrot_customer_id(customer: Customer, mapping: str) -> str | None:
    """The customer's id on Foxtrot (None when the field it is made of is unknown)."""
    if customer.tracking_id:
        return customer.tracking_id
    values = {"phone": customer.phone, "email": customer.email, "id": customer.id}
    if mapping in values:
        return values[mapping] or None
    names = [name for _, name, _, _ in string.Formatter().parse(mapping) if name]
    if any(not values.get(name) for name in names):
        return None
    return mapping.format(**values)


class FoxtrotTracking:
    name: str = "foxtrot"

    def __init__(
        self,
        api_key: str | None,
        dc_id: str | None,
        *,
        base_url: str = DEFAULT_URL,
        customer_id: str = "phone",
        eta_unit: str = "ms",
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("FOXTROT_API_KEY is required for TRACKING_BACKEND=foxtrot")
        if not dc_id:
            raise ValueError("FOXTROT_DC_ID is required for TRACKING_BACKEND=foxtrot")
        if eta_unit not in ETA_UNITS:
            raise ValueError(f"FOXTROT_ETA_UNIT={eta_unit!r} must be 'ms' or 's'")
        self._dc = quote(dc_id, safe="")
        self._mapping = check_customer_mapping(customer_id)
        self._per_second = ETA_UNITS[eta_unit]
        self._http = PlatformHttp(
            "Foxtrot",
            base_url,
            client=client,
            transport=transport,
            headers={
                "Authorization": f"Bearer {api_key}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )

    def deliveries(self, customer: Customer) -> list[Tracking]:
        customer_id = foxtrot_customer_id(customer, self._mapping)
        if customer_id is None:
            log.info(
                "no Foxtrot customer id for this customer (FOXTROT_CUSTOMER_ID=%s)", self._mapping
            )
            raise BookingNotFound("no deliveries found")
        base = f"/dcs/{self._dc}/customers/{quote(customer_id, safe='')}"
        try:
            data = self._get(base + "/waypoints", "waypoints")
        except FoxtrotError as exc:
            log.warning("Foxtrot waypoints: %s", exc)
            raise BackendUnavailable(str(exc)) from None
        waypoints = data.get("waypoints") if isinstance(data, dict) else data
        if not isinstance(waypoints, list):
            _malformed("waypoints is not a list")
        if not waypoints:
            raise BookingNotFound("no deliveries found")
        trackings = [self._tracking(w) for w in waypoints]
        if any(t.status == ON_THE_WAY for t in trackings):
            trackings = self._with_customer_details(base, trackings)
        return sorted(trackings, key=_soonest_first)

    def health(self) -> bool:
        try:
            response = self._http.read("GET", "/dcs", label="dcs")
        except BackendUnavailable:
            return False
        if response.status_code == 401:
            log.error("Foxtrot rejected the API key (401): check FOXTROT_API_KEY")
        return response.status_code == 200

    def close(self) -> None:
        self._http.close()

    # --- plumbing ---------------------------------------------------------------------------------

    def _get(self, path: str, label: str) -> Any:
        response = self._http.read("GET", path, label=label)
        status = response.status_code
        if status == 401:
            log.error("Foxtrot rejected the API key (401) on %s: check FOXTROT_API_KEY", label)
            raise BackendUnavailable("Foxtrot rejected the API key")
        if status == 403:
            log.warning(
                "Foxtrot answered 403 on %s: the DC does not exist or the API key may not see it"
                " (FOXTROT_DC_ID)",
                label,
            )
            raise BookingNotFound("no deliveries found")
        if status == 404:
            raise BookingNotFound("no deliveries found")
        body = self._http.json(response)
        enveloped = isinstance(body, dict) and "status" in body and "data" in body
        data = body.get("data") if enveloped else body
        if status == 400 or (enveloped and body.get("status") == "error"):
            code = data.get("code") if isinstance(data, dict) else None
            message = data.get("message") if isinstance(data, dict) else None
            raise FoxtrotError(code, str(message or ""))
        if status != 200:
            log.warning("Foxtrot answered %d on %s", status, label)
            raise BackendUnavailable(f"Foxtrot answered {status}")
        if not isinstance(data, dict | list):
            _malformed(f"{label}: data is neither an object nor a list")
        return data

    def _tracking(self, waypoint: Any) -> Tracking:
        if not isinstance(waypoint, dict) or not waypoint.get("id"):
            _malformed("a waypoint without an id")
        raw_status = str(waypoint.get("status") or "").strip().upper()
        completed_at = self._moment(waypoint.get("completed_timestamp"))
        if completed_at is not None or raw_status in _DELIVERED:
            status = DELIVERED
        elif raw_status in _NOT_DELIVERED:
            status = NOT_DELIVERED
        else:
            status = ON_THE_WAY
        on_the_way = status == ON_THE_WAY
        return Tracking(
            booking_id=str(waypoint["id"]),
            status=status,
            eta=self._moment(waypoint.get("estimated_time_of_arrival")) if on_the_way else None,
            stops_ahead=_count(waypoint.get("waypoints_ahead")) if on_the_way else None,
            waiting_seconds=_count(waypoint.get("waiting_time_seconds")),
            completed_at=completed_at,
        )

    def _with_customer_details(self, base: str, trackings: list[Tracking]) -> list[Tracking]:
        """The delivery address and whether Foxtrot is sure of the location: nice to have, so
        a failure here never fails TRACK."""
        description = confident = None
        try:
            data = self._get(base, "customer")
            customer = data.get("customer") if isinstance(data, dict) else None
            address = customer.get("imported_address") if isinstance(customer, dict) else None
            if isinstance(address, str) and address.strip():
                description = f"Delivery to {address.strip()}"
        except BackendError as exc:
            log.info("Foxtrot customer details left out: %s", exc)
        try:
            self._get(base + "/confident-location", "confident-location")
            confident = True
        except FoxtrotError as exc:
            if exc.code == LOCATION_NOT_CONFIDENT:
                confident = False
            else:
                log.info("Foxtrot confident location left out: %s", exc)
        except BackendError as exc:
            log.info("Foxtrot confident location left out: %s", exc)
        return [
            replace(t, description=description, location_confident=confident)
            if t.status == ON_THE_WAY
            else t
            for t in trackings
        ]

    def _moment(self, value: Any) -> datetime | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        try:
            moment = datetime.fromtimestamp(value / self._per_second, UTC)
        except (OverflowError, OSError, ValueError):
            return None
        return moment if moment >= _EARLIEST_PLAUSIBLE else None


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return int(value)


def _soonest_first(tracking: Tracking) -> tuple[Any, ...]:
    if tracking.status == ON_THE_WAY:
        ahead = tracking.stops_ahead if tracking.stops_ahead is not None else 10**6
        eta = tracking.eta.timestamp() if tracking.eta else float("inf")
        return (0, ahead, eta)
    done = tracking.completed_at.timestamp() if tracking.completed_at else 0.0
    return (1, -done, 0)


def _malformed(what: str) -> NoReturn:
    log.warning("Foxtrot answer is malformed: %s", what)
    raise BackendUnavailable(f"Foxtrot answer is malformed: {what}")
