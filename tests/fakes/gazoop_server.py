"""A local Gazoop customer API (platform-docs/000) on 127.0.0.1.

`POST /customer_bookings.json` with `username` and `password` (form-encoded, or JSON) answers the
account's last 25 bookings keyed by id plus `api_log_id`, or 400 `{"result": "invalid"}` for a
missing field, an unknown account or a wrong PIN. No API key ("auth": "never"). Other paths: 404;
other methods: 405. Faults and delays: see LocalJsonServer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tests.fakes.local_json_server import LocalJsonServer, Request

PATH = "/customer_bookings.json"
LIMIT = 25
INVALID = {"result": "invalid"}

DOC_EXAMPLE: dict[str, dict[str, str]] = {
    "874659": {
        "status": "V",
        "pickup": "Bentalls Shopping Centre, Clarence Street",
        "dropoff": "Wimbledon Station Car Park, London",
        "time": "28th April at 12:21",
    },
    "876165": {
        "status": "V",
        "pickup": "Denton, TX",
        "dropoff": "132 E 15th St, Plano",
        "time": "29th April at 10:06",
    },
    "878237": {
        "status": "V",
        "pickup": "Wood St, Kingston upon Thames",
        "dropoff": "Victoria Rd, Surbiton KT6 4PE",
        "time": "30th April at 11:33",
    },
    "881381": {
        "status": "V",
        "pickup": "805 Flat Shoals Rd SE, Conyers",
        "dropoff": "555 N Indian Creek Dr, Clarkston",
        "time": "2nd May at 15:27",
    },
    "881762": {
        "status": "V",
        "pickup": "1805 Flat Shoals Rd SE, Conyers",
        "dropoff": "132 E 15th St, Plano",
        "time": "2nd May at 22:58",
    },
    "882361": {
        "status": "V",
        "pickup": "Green Leaf Cars, Commerce Road",
        "dropoff": "Peterborough Station, Station Road",
        "time": "3rd May at 15:00",
    },
    "882479": {
        "status": "V",
        "pickup": "Ikea, Peterborough",
        "dropoff": "Peterborough Station, Station Road",
        "time": "4th May at 15:30",
    },
    "882862": {
        "status": "V",
        "pickup": "2308 Cornell Cir, McDonough",
        "dropoff": "Midtown, Atlanta",
        "time": "3rd May at 13:43",
    },
    "883266": {
        "status": "V",
        "pickup": "Edinburgh EH12 9DN, United Kingdom",
        "dropoff": "Forth View Cres, Danderhall",
        "time": "3rd May at 18:56",
    },
    "884742": {
        "status": "V",
        "pickup": "1316 Winslow Cir, Woodstock",
        "dropoff": "132 E 15th St, Plano",
        "time": "4th May at 16:57",
    },
    "884750": {
        "status": "W",
        "pickup": "1350 Winslow Cir, Woodstock",
        "dropoff": "1580 N Clybourn Ave, Chicago",
        "time": "25th May at 17:00",
    },
    "885493": {
        "status": "W",
        "pickup": "150 Piccadilly, London W1J 9BR",
        "dropoff": "Stamford Bridge, Fulham Rd",
        "time": "5th May at 07:18",
    },
    "892438": {
        "status": "W",
        "pickup": "1600 State Avenue, Cincinnati",
        "dropoff": "Cincinnati International Airport, Terminal Drive",
        "time": "9th May at 16:07",
    },
    "898106": {
        "status": "V",
        "pickup": "995 Beechmeadow Lane, Cincinnati",
        "dropoff": "McDonald's, Delhi Park Road",
        "time": "13th May at 11:55",
    },
    "899416": {
        "status": "W",
        "pickup": "The Bentall Centre, Wood Street",
        "dropoff": "Surbiton Station, Victoria Road",
        "time": "14th May at 07:20",
    },
}


def gazoop_time(local: datetime) -> str:
    """'28th April at 12:21', as Gazoop writes a time (no year)."""
    day = local.day
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix} {local:%B} at {local:%H:%M}"


def rides(newest_local: datetime, count: int, every: timedelta = timedelta(days=3)) -> dict:
    """`count` rides, the newest at `newest_local` (local time) and each earlier by `every`,
    with ids rising with time; the newest waits for a driver, the rest are confirmed."""
    out: dict[str, dict[str, str]] = {}
    for n in range(count):
        local = newest_local - every * n
        out[str(900000 + count - n)] = {
            "status": "W" if n == 0 else "V",
            "pickup": f"{n + 1} High Street, Kingston",
            "dropoff": "Surbiton Station, Victoria Road",
            "time": gazoop_time(local),
        }
    return out


@dataclass
class Account:
    pin: str
    bookings: dict[str, dict[str, Any]] = field(default_factory=dict)


class FakeGazoop(LocalJsonServer):
    def __init__(self, pins: dict[str, str] | None = None) -> None:
        """`pins`: username -> PIN of accounts holding the documentation's example bookings."""
        super().__init__()
        self.accounts: dict[str, Account] = {}
        self.api_log_id = 1942662
        for username, pin in (pins or {}).items():
            self.add_account(username, pin)

    def add_account(self, username: str, pin: str, bookings: dict | None = None) -> Account:
        account = Account(pin, dict(DOC_EXAMPLE if bookings is None else bookings))
        self.accounts[username] = account
        return account

    def route(self, request: Request) -> tuple[int, Any]:
        if request.path != PATH:
            return 404, {"error": "not found"}
        if request.method != "POST":
            return 405, {"error": "method not allowed"}
        account = self.accounts.get(str(request.body.get("username", "")))
        if account is None or str(request.body.get("password", "")) != account.pin:
            return 400, INVALID
        newest = sorted(account.bookings, key=_id_order, reverse=True)[:LIMIT]
        self.api_log_id += 1
        return 200, {**{i: account.bookings[i] for i in newest}, "api_log_id": self.api_log_id}

    def wrong_shape_body(self) -> Any:
        return {"874659": {"state": "V", "from": "Somewhere"}, "api_log_id": 1}


def _id_order(booking_id: str) -> tuple[int, str]:
    return (int(booking_id), "") if booking_id.isdigit() else (-1, booking_id)
