"""A local Launch27 subdomain over real HTTP on 127.0.0.1: the current API under /latest and the
legacy API 2.0 under /api, sharing one account's data, with knobs for the failures tests need.

It behaves as the wiki pages say (paths, headers, status codes, example bodies), and where they
are silent, as the adapters' docstrings decided (bot/backends/launch27/). It is stricter than
the documentation in one way: request bodies with fields their schema does not name get 422,
so an adapter typo cannot pass unnoticed.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

API_KEY = "test_8kBFkhmf8TA7TZyQBh"
TZ = ZoneInfo("Europe/London")
TAX_PERCENT = Decimal(10)
LOCK_TRIES, LOCK_WINDOW, LOCK_FOR = 5, timedelta(minutes=1), timedelta(minutes=5)

SERVICES: list[dict[str, Any]] = [
    {
        "id": 2,
        "name": "Standard clean",
        "price": 60.0,
        "commercial": False,
        "discount_by_frequency": True,
        "discount_by_code": True,
        "extras": [
            {"id": 1, "name": "Oven clean", "price": 25.0, "quantity_based": False},
            {"id": 3, "name": "Inside fridge", "price": 15.0, "quantity_based": False},
        ],
        "pricing_parameters": [
            {
                "id": 1,
                "name": "Bedrooms",
                "price": 10.0,
                "quantity_minimum": 1,
                "quantity_maximum": 6,
                "ordering": 0,
            },
            {
                "id": 4,
                "name": "Bathrooms",
                "price": 8.0,
                "quantity_minimum": 1,
                "quantity_maximum": 4,
                "ordering": 1,
            },
        ],
    },
    {
        "id": 3,
        "name": "Deep clean",
        "price": 120.0,
        "commercial": False,
        "discount_by_frequency": True,
        "discount_by_code": True,
        "extras": [{"id": 2, "name": "Inside windows", "price": 20.0, "quantity_based": True}],
        "pricing_parameters": [],
    },
    {
        "id": 5,
        "name": "Hourly clean",
        "hourly": {
            "quantity_minimum": 1,
            "quantity_maximum": 5,
            "minutes_minimum": 60,
            "minutes_maximum": 300,
            "half_hour_increments": False,
        },
        "price": 25.0,
        "extras": [],
        "pricing_parameters": [],
    },
]
FREQUENCIES: list[dict[str, Any]] = [
    {"id": 4, "interval": "o", "name": "One Time", "percent": 0, "amount": 0.0,
     "exclude_first": False, "default": True},
    {"id": 18, "interval": "1w", "name": "Weekly", "percent": 10, "amount": 0.0,
     "exclude_first": False, "default": False},
    {"id": 15, "interval": "2w", "name": "Every 2 weeks", "percent": 5, "amount": 0.0,
     "exclude_first": True, "default": False},
]  # fmt: skip
INTERVAL_DAYS = {"o": None, "1w": 7, "2w": 14}


def money(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@dataclass
class Account:
    id: int
    email: str
    password: str
    first_name: str
    last_name: str
    otp: str | None = None
    bearers: set[str] = field(default_factory=set)
    access_token: str | None = None
    failures: list[datetime] = field(default_factory=list)
    locked_until: datetime | None = None


@dataclass
class Booking:
    id: int
    user_id: int
    start: datetime
    """Local time of the business, naive (as Launch27 keeps it)."""
    services: list[dict[str, Any]]
    """[{"id": 2, "extras": {1: 1}, "pricing_parameters": {1: 2}}]"""
    frequency_id: int
    address: str
    city: str | None = None
    zip: str | None = None
    phone: str | None = None
    active: bool = True
    completed: bool = False
    notes: str | None = None


@dataclass
class Knobs:
    delay: float = 0.0
    delay_paths: str = ""
    """Only paths starting with this are delayed ("" = every path)."""
    fail_status: int | None = None
    non_json: bool = False
    wrong_shape: bool = False
    drop_create_answers: int = 0
    """Creates that commit and then close the connection without an answer."""
    fail_after_lost_create: bool = False
    """After a create's answer is dropped, every request fails with 503 (the platform is down)."""
    before_cancel: Callable[[], None] | None = None
    """Runs as a cancel arrives (e.g. the business changing its fee at that moment)."""


class Launch27Platform:
    """The account's data and rules, shared by both APIs."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))
        self.lock = threading.RLock()
        self.accounts: dict[str, Account] = {}
        self.bookings: dict[int, Booking] = {}
        self.next_id = 1001
        self.next_token = 1
        self.cancellation_policy: dict[str, Any] = {
            "custom": False,
            "late_cancellation_fee": 10.0,
            "cancellation_reason_on": False,
        }
        self.booking_policy: dict[str, Any] = {"custom": True, "unit": "hour", "quantity": 2}
        self.settings: dict[str, Any] = {
            "name": "Sparkle Cleaning",
            "timezone": "Europe/London",
            "currency": {"code": "gbp", "symbol": "£"},
            "country": {"code": "GB", "name": "United Kingdom", "phone_prefix": "+44"},
        }
        self.knobs = Knobs()
        self.requests: list[dict[str, Any]] = []
        self.cancel_bodies: list[dict[str, Any]] = []

    # --- time -----------------------------------------------------------------------------------

    def local_now(self) -> datetime:
        return self.clock().astimezone(TZ).replace(tzinfo=None)

    # --- accounts -------------------------------------------------------------------------------

    def add_account(self, email: str, password: str, first: str, last: str, otp: str | None = None):
        with self.lock:
            account = Account(len(self.accounts) + 15, email, password, first, last, otp)
            self.accounts[email.lower()] = account
            return account

    def token(self) -> str:
        with self.lock:
            self.next_token += 1
            return f"tok{self.next_token:04d}x{int(time.monotonic() * 1000) % 100000}"

    def check_password(self, email: str, password: str, otp: str | None) -> tuple[int, Any]:
        """(status, body) of a login attempt; counts failures for the lock-out."""
        now = self.clock()
        with self.lock:
            account = self.accounts.get(email.lower())
            if account is not None and account.locked_until and now < account.locked_until:
                return 403, {"error": "Account is locked. Please try again in 5 minutes."}
            if account is None or account.password != password:
                if account is not None:
                    account.failures = [t for t in account.failures if now - t < LOCK_WINDOW]
                    account.failures.append(now)
                    if len(account.failures) >= LOCK_TRIES:
                        account.locked_until = now + LOCK_FOR
                        account.failures = []
                return 401, {"error": "Invalid email or password"}
            if account.otp is not None:
                if otp is None:
                    return 403, {"error": "OTP token is required"}
                if otp != account.otp:
                    return 401, {"error": "Invalid OTP token"}
            account.failures = []
            return 200, account

    def revoke(self, email: str) -> None:
        with self.lock:
            account = self.accounts[email.lower()]
            account.bearers.clear()
            account.access_token = None

    def by_bearer(self, bearer: str) -> Account | None:
        with self.lock:
            return next((a for a in self.accounts.values() if bearer in a.bearers), None)

    def by_access(self, email: str, token: str) -> Account | None:
        with self.lock:
            account = self.accounts.get(email.lower())
            if account is None or not account.access_token or account.access_token != token:
                return None
            return account

    # --- bookings -------------------------------------------------------------------------------

    def add_booking(self, user: Account, start: datetime, **kwargs: Any) -> Booking:
        """`start` aware (UTC) or naive local."""
        if start.tzinfo is not None:
            start = start.astimezone(TZ).replace(tzinfo=None)
        with self.lock:
            booking = Booking(
                id=self.next_id,
                user_id=user.id,
                start=start.replace(second=0, microsecond=0),
                services=kwargs.pop(
                    "services", [{"id": 2, "extras": {}, "pricing_parameters": {}}]
                ),
                frequency_id=kwargs.pop("frequency_id", 4),
                address=kwargs.pop("address", "12 High Street"),
                **kwargs,
            )
            self.next_id += 1
            self.bookings[booking.id] = booking
            return booking

    def bookings_of(self, user: Account) -> list[Booking]:
        with self.lock:
            return [b for b in self.bookings.values() if b.user_id == user.id]

    def service(self, service_id: Any) -> dict[str, Any] | None:
        return next((s for s in SERVICES if s["id"] == service_id), None)

    def frequency(self, frequency_id: Any) -> dict[str, Any] | None:
        return next((f for f in FREQUENCIES if f["id"] == frequency_id), None)

    def recurring(self, booking: Booking) -> bool:
        frequency = self.frequency(booking.frequency_id)
        return frequency is not None and frequency["interval"] != "o"

    def prices(self, services: list[dict[str, Any]], frequency_id: int, first: bool = True):
        """(services, extras, discount, before_tax, tax, total) as Decimals."""
        base = extras = Decimal(0)
        for line in services:
            service = self.service(line["id"]) or {
                "price": 0,
                "extras": [],
                "pricing_parameters": [],
            }
            base += Decimal(str(service["price"]))
            params = {p["id"]: p for p in service["pricing_parameters"]}
            for key, quantity in line["pricing_parameters"].items():
                base += Decimal(str(params[key]["price"])) * quantity
            known = {e["id"]: e for e in service["extras"]}
            for key, quantity in line["extras"].items():
                extras += Decimal(str(known[key]["price"])) * quantity
        frequency = self.frequency(frequency_id) or {"percent": 0, "exclude_first": False}
        discount = Decimal(0)
        if not (first and frequency["exclude_first"]):
            discount = (base + extras) * Decimal(str(frequency["percent"])) / 100
        before_tax = base + extras - discount
        tax = before_tax * TAX_PERCENT / 100
        return base, extras, discount, before_tax, tax, before_tax + tax

    def before_tax(self, booking: Booking) -> Decimal:
        return self.prices(booking.services, booking.frequency_id)[3]

    def late_fee(self, booking: Booking) -> Decimal | None:
        """The platform's own late-cancellation rule (Booking_cancellation_policy)."""
        policy, now = self.cancellation_policy, self.local_now()
        if policy.get("custom"):
            unit = timedelta(hours=1) if policy["unit"] == "hour" else timedelta(days=1)
            late = booking.start - now <= unit * policy["quantity"]
        else:
            cutoff = datetime.combine(booking.start.date() - timedelta(days=1), datetime.min.time())
            late = now >= cutoff + timedelta(hours=17)
        if not late:
            return None
        fee = Decimal(str(policy.get("late_cancellation_fee") or 0))
        percent = Decimal(str(policy.get("late_cancellation_percent") or 0))
        if fee > 0:
            return fee
        if percent > 0:
            return (self.before_tax(booking) * percent / 100).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            )
        return None

    def cancel(self, booking: Booking, future: bool) -> None:
        """Cancel; a series' next visit is created unless `future` (Cancel_booking_for_customer)."""
        with self.lock:
            booking.active = False
            if not self.recurring(booking):
                return
            later = [
                b
                for b in self.bookings.values()
                if b.user_id == booking.user_id
                and b.active
                and b.frequency_id == booking.frequency_id
                and b.services == booking.services
                and b.start > booking.start
            ]
            if future:
                for other in later:
                    other.active = False
            elif not later:
                days = INTERVAL_DAYS[self.frequency(booking.frequency_id)["interval"]]
                self.add_booking(
                    next(a for a in self.accounts.values() if a.id == booking.user_id),
                    booking.start + timedelta(days=days),
                    services=booking.services,
                    frequency_id=booking.frequency_id,
                    address=booking.address,
                    city=booking.city,
                    zip=booking.zip,
                )

    def validate_request(
        self, services: Any, frequency_id: Any, service_date: Any, pattern: str
    ) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        if not isinstance(service_date, str) or not re.fullmatch(pattern, service_date):
            errors["service_date"] = ["has an invalid format"]
        elif datetime.fromisoformat(service_date) < self.local_now() + self.notice():
            errors["service_date"] = ["is too soon for the booking policy"]
        if self.frequency(frequency_id) is None:
            errors["frequency_id"] = ["is not a frequency"]
        if not isinstance(services, list) or not services:
            errors["services"] = ["must have at least one service"]
            return errors
        for line in services:
            service = self.service(line.get("id"))
            if service is None or service.get("hourly"):
                errors["services"] = ["has an unknown service"]
                continue
            params = {p["id"]: p for p in service["pricing_parameters"]}
            for key, quantity in line["pricing_parameters"].items():
                param = params.get(key)
                if param is None or not (
                    param["quantity_minimum"] <= quantity <= param["quantity_maximum"]
                ):
                    errors["pricing_parameters"] = ["has an unknown or out-of-range parameter"]
            known = {e["id"] for e in service["extras"]}
            if set(line["extras"]) - known:
                errors["extras"] = ["has an unknown extra"]
        return errors

    def notice(self) -> timedelta:
        policy = self.booking_policy
        if not policy.get("custom"):
            return timedelta(0)
        unit = timedelta(hours=1) if policy["unit"] == "hour" else timedelta(days=1)
        return unit * policy["quantity"]


# --- HTTP ---------------------------------------------------------------------------------------


class Reply(Exception):
    """Raised by a route to answer with `status` and `body` (JSON)."""

    def __init__(self, status: int, body: Any = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


class Request:
    def __init__(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        self.method = method
        self.path = parts.path
        self.query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.headers = handler.headers
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        self.body: Any = None
        if raw:
            try:
                self.body = json.loads(raw)
            except ValueError:
                raise Reply(400, {"error": "body is not JSON"}) from None

    def json_object(self, allowed: set[str], required: set[str] = frozenset()) -> dict[str, Any]:
        body = self.body if self.body is not None else {}
        if not isinstance(body, dict):
            raise Reply(422, {"errors": {"base": ["must be an object"]}})
        unknown = set(body) - allowed
        missing = required - set(body)
        if unknown or missing:
            errors = {name: ["is not allowed"] for name in sorted(unknown)}
            errors.update({name: ["is required"] for name in sorted(missing)})
            raise Reply(422, {"errors": errors})
        return body


Route = tuple[str, re.Pattern[str], Callable[..., Any]]


class FakeLaunch27:
    """Serves a `Launch27Platform` on 127.0.0.1; `url` is the subdomain base."""

    def __init__(self, platform: Launch27Platform | None = None, api_key: str = API_KEY) -> None:
        from tests.fakes import launch27_customer, launch27_legacy

        self.platform = platform or Launch27Platform()
        self.api_key = api_key
        self.routes: list[Route] = [
            *launch27_customer.routes(self.platform),
            *launch27_legacy.routes(self.platform, api_key),
        ]
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def knobs(self) -> Knobs:
        return self.platform.knobs

    def start(self) -> FakeLaunch27:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake.handle(self, "GET")

            def do_POST(self) -> None:
                fake.handle(self, "POST")

            def do_DELETE(self) -> None:
                fake.handle(self, "DELETE")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        knobs = self.platform.knobs
        try:
            request = Request(handler, method)
            with self.platform.lock:
                self.platform.requests.append(
                    {"method": method, "path": request.path, "headers": dict(request.headers),
                     "query": request.query, "json": request.body}
                )  # fmt: skip
            if knobs.delay and request.path.startswith(knobs.delay_paths):
                time.sleep(knobs.delay)
            if knobs.fail_status:
                raise Reply(knobs.fail_status, {"error": "Internal Server Error"})
            for route_method, pattern, view in self.routes:
                match = pattern.fullmatch(request.path)
                if match and route_method == method:
                    result = view(request, *match.groups())
                    break
            else:
                raise Reply(404, {"error": "Not found"})
            status, body = 200, result
        except Reply as reply:
            status, body = reply.status, reply.body
        except DropAnswer:
            handler.close_connection = True
            return
        self._answer(handler, status, body)

    def _answer(self, handler: BaseHTTPRequestHandler, status: int, body: Any) -> None:
        knobs = self.platform.knobs
        if knobs.wrong_shape and 200 <= status < 300:
            body = {"data": body} if isinstance(body, list) else [body]
        payload = json.dumps(body).encode() if body is not None else b""
        content_type = "application/json"
        if knobs.non_json and 200 <= status < 300:
            payload, content_type = b"<html><body>Service maintenance</body></html>", "text/html"
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout test)


class DropAnswer(Exception):
    """The change is committed; the connection closes without an answer (a lost answer)."""


def route(method: str, path: str, view: Callable[..., Any]) -> Route:
    return (method, re.compile(path), view)


def drop_answer_if_asked(platform: Launch27Platform) -> None:
    with platform.lock:
        if platform.knobs.drop_create_answers > 0:
            platform.knobs.drop_create_answers -= 1
            if platform.knobs.fail_after_lost_create:
                platform.knobs.fail_status = 503
            raise DropAnswer


def lines_from(services: Any, extra_key: str, parameter_key: str) -> list[dict[str, Any]]:
    """A request's services as {"id", "extras": {id: q}, "pricing_parameters": {id: q}}."""
    if not isinstance(services, list):
        raise Reply(422, {"errors": {"services": ["must be an array"]}})
    lines = []
    for item in services:
        if not isinstance(item, dict) or not isinstance(item.get("id"), int):
            raise Reply(422, {"errors": {"services": ["must have an integer id"]}})
        allowed = {"id", "extras", "pricing_parameters", "hourly"}
        if set(item) - allowed:
            raise Reply(422, {"errors": {"services": ["has unknown fields"]}})
        try:
            extras = {e[extra_key]: int(e["quantity"]) for e in item.get("extras") or []}
            params = {
                p[parameter_key]: int(p["quantity"]) for p in item.get("pricing_parameters") or []
            }
        except (KeyError, TypeError, ValueError):
            raise Reply(422, {"errors": {"services": ["extras or parameters malformed"]}}) from None
        lines.append({"id": item["id"], "extras": extras, "pricing_parameters": params})
    return lines


# --- a ready-made account -------------------------------------------------------------------------

ALEX_EMAIL, ALEX_PASSWORD = "alex@example.com", "trustno1"
SAM_EMAIL, SAM_PASSWORD, SAM_OTP = "sam@example.com", "s3cret-pass", "123456"


@dataclass
class Seeded:
    late: int
    recurring: int
    plain: int
    past: int


def seed(platform: Launch27Platform) -> Seeded:
    """Alex (no one-time code) with a late, a weekly, a one-off and a past booking; Sam, whose
    account asks for a one-time code."""
    platform.add_account(SAM_EMAIL, SAM_PASSWORD, "Sam", "Lee", otp=SAM_OTP)
    return seed_customer(platform, ALEX_EMAIL, ALEX_PASSWORD, "Alex", "Morgan")


def seed_customer(
    platform: Launch27Platform, email: str, password: str, first: str, last: str
) -> Seeded:
    """A customer with a late, a weekly, a one-off and a past booking, relative to now."""
    alex = platform.add_account(email, password, first, last)
    now = platform.clock().replace(minute=0, second=0, microsecond=0)
    where = {"address": "12 High Street", "city": "Kingston upon Thames", "zip": "KT1 1LQ"}
    past = platform.add_booking(alex, now - timedelta(days=7), completed=True, **where)
    plain = platform.add_booking(
        alex,
        now + timedelta(days=5),
        services=[{"id": 3, "extras": {2: 2}, "pricing_parameters": {}}],
        **where,
    )
    recurring = platform.add_booking(alex, now + timedelta(days=3), frequency_id=18, **where)
    late = platform.add_booking(
        alex,
        now + timedelta(hours=3),
        services=[{"id": 2, "extras": {1: 1}, "pricing_parameters": {1: 2}}],
        **where,
    )
    return Seeded(late=late.id, recurring=recurring.id, plain=plain.id, past=past.id)
