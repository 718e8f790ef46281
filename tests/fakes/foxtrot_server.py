"""A local Foxtrot API (platform-docs/002, extra/foxtrot-api-overview.txt) on 127.0.0.1.

Every request needs `Authorization: Bearer <api_key>` (else 401); answers are wrapped as
`{"status", "data"}`, errors carry `{"code", "message"}` in `data`. Paths:
- `GET /dcs`: the organisation's DCs;
- `GET /dcs/{dc}/customers/{id}`: the customer, 404 if unknown;
- `GET /dcs/{dc}/customers/{id}/confident-location`: latitude/longitude, or 400 with error 7001
  when the customer's location is not confident; 404 if unknown;
- `GET /dcs/{dc}/customers/{id}/waypoints`: the 10 most recent waypoints (an unknown customer has
  none: the page documents no 404). `unwrapped_waypoints` answers as the page's example does,
  without the envelope.
An unknown DC is 403. `force_status` (401, 403 or 404) answers every request with that error;
`failing_calls` makes the customer or confident-location call fail on its own.
Times in waypoints are epoch milliseconds (see bot/backends/foxtrot.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from tests.fakes.local_json_server import LocalJsonServer, Request

MOST_RECENT = 10
_PATH = re.compile(
    r"^/dcs/(?P<dc>[^/]+)/customers/(?P<customer>[^/]+)(?P<what>/waypoints|/confident-location)?$"
)
_ERRORS = {
    401: (1001, "API key is invalid."),
    403: (1003, "DC does not exist or user does not have permission to access it."),
    404: (1004, "Customer does not exist."),
    7001: (7001, "Customer location not confident."),
}


def error(status: int, code_key: int | None = None) -> tuple[int, dict[str, Any]]:
    code, message = _ERRORS[code_key or status]
    return status, {"status": "error", "data": {"code": code, "message": message}}


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def waypoint(
    waypoint_id: str,
    customer_id: str,
    *,
    eta: datetime | None = None,
    ahead: int | None = None,
    waiting: int | None = 600,
    completed: datetime | None = None,
    status: str | None = None,
    route_id: str = "route-1",
) -> dict[str, Any]:
    return {
        "id": waypoint_id,
        "customer_id": customer_id,
        "status": status or ("COMPLETED" if completed else "PENDING"),
        "completed_timestamp": epoch_ms(completed) if completed else None,
        "estimated_time_of_arrival": epoch_ms(eta) if eta else None,
        "waypoints_ahead": ahead,
        "waiting_time_seconds": waiting,
        "route_id": route_id,
    }


@dataclass
class FoxtrotCustomer:
    id: str
    name: str = "Alex Morgan"
    imported_address: str | None = "12 High Street, Kingston"
    location_confident: bool = True
    waypoints: list[dict[str, Any]] = field(default_factory=list)


class FakeFoxtrot(LocalJsonServer):
    def __init__(self, api_key: str = "fox-test-key", dc_id: str = "Foxtrot-DC") -> None:
        super().__init__()
        self.api_key = api_key
        self.dc_id = dc_id
        self.customers: dict[str, FoxtrotCustomer] = {}
        self.unwrapped_waypoints = False
        self.force_status: int | None = None
        self.failing_calls: set[str] = set()
        """`customer`, `confident-location`: calls answered 503 (the others keep working)."""

    def add_customer(
        self, customer_id: str, *waypoints: dict[str, Any], **kw: Any
    ) -> FoxtrotCustomer:
        customer = FoxtrotCustomer(customer_id, waypoints=list(waypoints), **kw)
        self.customers[customer_id] = customer
        return customer

    def route(self, request: Request) -> tuple[int, Any]:
        if request.header("Authorization") != f"Bearer {self.api_key}":
            return error(401)
        if self.force_status:
            return error(self.force_status)
        if request.method != "GET":
            return 405, {"status": "error", "data": {"code": 1005, "message": "Not allowed."}}
        if request.path == "/dcs":
            dc = {"id": self.dc_id, "name": "Kingston", "time_zone": "Europe/London"}
            return 200, {"status": "success", "data": {"dcs": [dc]}}
        match = _PATH.match(request.path)
        if match is None:
            return 404, {"status": "error", "data": {"code": 1000, "message": "Not found."}}
        if unquote(match["dc"]) != self.dc_id:
            return error(403)
        customer_id = unquote(match["customer"])
        customer = self.customers.get(customer_id)
        if match["what"] == "/waypoints":
            return self._waypoints(customer)
        call = (match["what"] or "/customer").lstrip("/")
        if call in self.failing_calls:
            return 503, {"status": "error", "data": {"code": 1000, "message": "Try again."}}
        if customer is None:
            return error(404)
        if match["what"] == "/confident-location":
            if not customer.location_confident:
                return error(400, 7001)
            location = {"customer_id": customer.id, "latitude": 51.41, "longitude": -0.30}
            return 200, {"status": "success", "data": location}
        return 200, {"status": "success", "data": {"customer": self._customer(customer)}}

    def _waypoints(self, customer: FoxtrotCustomer | None) -> tuple[int, Any]:
        recent = customer.waypoints[-MOST_RECENT:] if customer else []
        if self.unwrapped_waypoints:
            return 200, {"waypoints": recent}
        return 200, {"status": "success", "data": {"waypoints": recent}}

    @staticmethod
    def _customer(customer: FoxtrotCustomer) -> dict[str, Any]:
        location = {"latitude": 51.41, "longitude": -0.30} if customer.imported_address else None
        return {
            "id": customer.id,
            "name": customer.name,
            "imported_address": customer.imported_address,
            "imported_location": location,
            "inferred_location": location,
        }

    def wrong_shape_body(self) -> Any:
        return {"status": "success", "data": {"waypoints": {"id": "not a list"}}}
