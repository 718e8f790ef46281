"""A local car2go (API v2.1) that checks OAuth 1.0a HMAC-SHA1 signatures and keeps bookings.

Behaves as the pages in shared platform-docs (001 and extra/car2go-*.txt) say:
- OAuth: `/api/reqtoken` (oauth_callback must be "oob"), `/api/authorize?oauth_token=` (the
  customer's page; `approve()` is the customer saying yes), `/api/accesstoken`; every signature
  is checked with authlib's RFC 5849 functions; problems answered as oauth.net Problem Reporting
  with car2go's HTTP codes (400/401/503); nonces up to 40 characters, each used once.
- `GET /api/v2.1/accounts|bookings|booking`, `POST /api/v2.1/bookings`, `DELETE
  /api/v2.1/booking/{id}` with the documented return codes; `GET /api/v2.1/vehicles` (public:
  `oauth_consumer_key` in the query) lists the free cars.
Where the documentation is silent, the fake decides as the adapter does: return codes travel in
an HTTP 200 body; a wrong verifier leaves the request token usable until it expires; the JSON
`reservationTime` is the serialised Calendar of the JSON example (`iso_times=True`: ISO 8601).

Knobs: `fail_next(status, times)` (5xx), `delay_next(seconds, times)` (timeouts),
`force_code[endpoint] = code`, `revoke(token)`, `expire(token)`, `callback_url`.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from authlib.oauth1.rfc5849.signature import generate_signature_base_string, hmac_sha1_signature
from authlib.oauth1.rfc5849.wrapper import OAuth1Request

from bot.backends.car2go.codes import RETURN_CODES
from bot.config import Settings

CONSUMER_KEY = "booking-bot-consumer"
CONSUMER_SECRET = "consumer-secret-0123456789"
DESCRIPTIONS = RETURN_CODES  # the index page's wording, as the adapter also quotes it
TIMESTAMP_WINDOW_SECONDS = 300


class OAuthProblem(Exception):
    def __init__(self, status: int, problem: str) -> None:
        super().__init__(problem)
        self.status = status
        self.problem = problem


@dataclass
class User:
    id: str
    accounts: list[tuple[int, str]]
    licence_ok: bool = True
    locked_accounts: set[int] = field(default_factory=set)
    valid: bool = True
    max_bookings: int = 3


@dataclass
class Car:
    vin: str
    plate: str
    address: str
    latitude: float
    longitude: float
    fuel: int = 80
    engine: str = "CE"
    charging: bool | None = None
    interior: str = "GOOD"
    exterior: str = "GOOD"
    loc: str = "ulm"


@dataclass
class FakeBooking:
    id: int
    user: str
    account: tuple[int, str]
    reserved_at: datetime
    address: str
    latitude: float
    longitude: float
    vin: str | None = None
    cancel_fee: str | None = None
    currency: str = "EUR"


@dataclass
class RequestToken:
    secret: str
    expires: float
    user: str | None = None
    verifier: str | None = None


@dataclass
class AccessToken:
    secret: str
    user: str
    expires: float


@dataclass(frozen=True)
class Received:
    method: str
    endpoint: str
    params: dict[str, str]
    oauth: dict[str, str]


class FakeCar2go:
    def __init__(self, locations: tuple[str, ...] = ("ulm", "austin")) -> None:
        self.consumers = {CONSUMER_KEY: CONSUMER_SECRET}
        self.locations = locations
        self.callback_url: str | None = None
        """The callback URL registered for the consumer (none: the customer is shown a code)."""
        self.iso_times = False
        self.new_booking_cancel_fee: str | None = None
        self.users: dict[str, User] = {}
        self.cars: dict[str, Car] = {}
        self.bookings: dict[int, FakeBooking] = {}
        self.request_tokens: dict[str, RequestToken] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.force_code: dict[str, int] = {}
        self.received: list[Received] = []
        self._nonces: set[tuple[str, str]] = set()
        self.hits: list[str] = []
        """Every request that arrived ("POST /api/v2.1/bookings"), failed or not."""
        self._failures: list[tuple[int, str | None]] = []
        self._delays: list[tuple[float, str | None]] = []
        self._next_booking = 7000
        self._lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # --- lifecycle --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeCar2go:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- test set-up ------------------------------------------------------------------------

    def add_user(self, user_id: str = "max", accounts: list[tuple[int, str]] | None = None) -> User:
        user = User(user_id, accounts if accounts is not None else [(1002, "Max Mustermann")])
        self.users[user_id] = user
        return user

    def add_car(
        self, vin: str, plate: str, address: str, latitude: float, longitude: float, **kw: Any
    ) -> Car:
        car = Car(vin, plate, address, latitude, longitude, **kw)
        self.cars[vin] = car
        return car

    def add_booking(
        self,
        user_id: str,
        at: datetime,
        address: str,
        *,
        vin: str | None = None,
        position: tuple[float, float] = (48.4008, 9.9596),
        cancel_fee: str | None = None,
    ) -> FakeBooking:
        with self._lock:
            user = self.users[user_id]
            self._next_booking += 1
            booking = FakeBooking(
                self._next_booking,
                user_id,
                user.accounts[0],
                at,
                address,
                *position,
                vin=vin,
                cancel_fee=cancel_fee,
            )
            self.bookings[booking.id] = booking
            return booking

    def approve(self, request_token: str, user_id: str = "max") -> str:
        """The customer logs in on car2go's page and grants access: the verifier it shows."""
        with self._lock:
            entry = self.request_tokens[request_token]
            entry.user = user_id
            entry.verifier = entry.verifier or secrets.token_hex(4)
            return entry.verifier

    def revoke(self, access_token: str) -> None:
        """The customer revoked the app in the car2go portal."""
        with self._lock:
            self.access_tokens.pop(access_token, None)

    def expire(self, token: str) -> None:
        with self._lock:
            if token in self.access_tokens:
                self.access_tokens[token].expires = 0
            if token in self.request_tokens:
                self.request_tokens[token].expires = 0

    def fail_next(self, status: int = 503, times: int = 1, on: str | None = None) -> None:
        """Answer the next `times` requests (to `on`, e.g. "POST /api/v2.1/bookings") with
        `status` and an HTML body, as a proxy in front of car2go would."""
        with self._lock:
            self._failures.extend([(status, on)] * times)

    def heal(self) -> None:
        """Forget the failures and delays still queued: answer normally again."""
        with self._lock:
            self._failures.clear()
            self._delays.clear()

    def delay_next(self, seconds: float, times: int = 1, on: str | None = None) -> None:
        with self._lock:
            self._delays.extend([(seconds, on)] * times)

    def calls(self, method: str | None = None, endpoint: str | None = None) -> list[Received]:
        with self._lock:
            return [
                r
                for r in self.received
                if (method is None or r.method == method)
                and (endpoint is None or r.endpoint == endpoint)
            ]

    def open_bookings(self, user_id: str) -> list[FakeBooking]:
        with self._lock:
            return [b for b in self.bookings.values() if b.user == user_id]

    # --- HTTP -------------------------------------------------------------------------------

    def _handle(
        self, method: str, url: str, headers: Any, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        hit = f"{method} {urlsplit(url).path}"
        with self._lock:
            self.hits.append(hit)
            delay = _pop_matching(self._delays, hit) or 0.0
            failure = _pop_matching(self._failures, hit)
        if delay:
            time.sleep(delay)
        if failure:
            return failure, {"Content-Type": "text/html"}, b"<html>Service Unavailable</html>"
        path = urlsplit(url).path
        query = dict(parse_qsl(urlsplit(url).query))
        try:
            with self._lock:
                return self._route(method, path, query, url, headers, body)
        except OAuthProblem as problem:
            text = urlencode({"oauth_problem": problem.problem}).encode()
            return (
                problem.status,
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "WWW-Authenticate": f'OAuth realm="car2go", oauth_problem="{problem.problem}"',
                },
                text,
            )

    def _route(self, method, path, query, url, headers, body):
        if path == "/api/reqtoken" and method in ("GET", "POST"):
            return self._request_token(method, url, headers, body)
        if path == "/api/authorize" and method == "GET":
            return self._authorize_page(query)
        if path == "/api/accesstoken" and method in ("GET", "POST"):
            return self._access_token(method, url, headers, body)
        if not path.startswith("/api/v2.1/"):
            return 404, {"Content-Type": "text/plain"}, b"not found"
        resource = path.removeprefix("/api/v2.1/")
        if resource in ("vehicles", "locations") and method == "GET":
            return self._public(resource, query)
        oauth = self._verify(method, url, headers, body, token_kind="access")
        user = self.users[self.access_tokens[oauth["oauth_token"]].user]
        endpoint = f"{method} {resource.split('/')[0]}"
        self.received.append(Received(method, endpoint, dict(query), oauth))
        if query.get("format") != "json":
            return 400, {"Content-Type": "text/plain"}, b"this fake speaks JSON only (format=json)"
        forced = self.force_code.get(endpoint)
        if forced is not None:
            return self._json(self._coded(forced))
        if not user.valid:
            return self._json(self._coded(2))
        if method == "GET" and resource == "accounts":
            return self._json(self._accounts(user, query))
        if method == "GET" and resource == "bookings":
            return self._json(self._bookings(user, query))
        if method == "POST" and resource == "bookings":
            return self._json(self._create(user, query))
        if method == "GET" and resource == "booking":
            return self._json(self._current(user, query))
        if method == "DELETE" and resource.startswith("booking/"):
            return self._json(self._cancel(user, resource.removeprefix("booking/")))
        return 404, {"Content-Type": "text/plain"}, b"not found"

    # --- OAuth ------------------------------------------------------------------------------

    def _verify(self, method, url, headers, body, token_kind: str | None) -> dict[str, str]:
        try:
            request = OAuth1Request(method, url, body or None, headers)
        except Exception:
            raise OAuthProblem(400, "parameter_rejected") from None
        oauth = request.oauth_params
        required = [
            "oauth_consumer_key",
            "oauth_signature_method",
            "oauth_signature",
            "oauth_timestamp",
            "oauth_nonce",
        ]
        if token_kind:
            required.append("oauth_token")
        if any(not oauth.get(name) for name in required):
            raise OAuthProblem(400, "parameter_absent")
        if oauth.get("oauth_version", "1.0") != "1.0":
            raise OAuthProblem(400, "version_rejected")
        if oauth["oauth_signature_method"] != "HMAC-SHA1":
            raise OAuthProblem(400, "signature_method_rejected")
        if len(oauth["oauth_nonce"]) > 40:
            raise OAuthProblem(400, "parameter_rejected")
        try:
            stamp = int(oauth["oauth_timestamp"])
        except ValueError:
            raise OAuthProblem(400, "parameter_rejected") from None
        if abs(time.time() - stamp) > TIMESTAMP_WINDOW_SECONDS:
            raise OAuthProblem(400, "timestamp_refused")
        consumer_secret = self.consumers.get(oauth["oauth_consumer_key"])
        if consumer_secret is None:
            raise OAuthProblem(401, "consumer_key_unknown")
        token_secret = None
        if token_kind:
            store = self.access_tokens if token_kind == "access" else self.request_tokens
            entry = store.get(oauth["oauth_token"])
            if entry is None:
                raise OAuthProblem(401, "token_rejected")
            if entry.expires < time.time():
                raise OAuthProblem(401, "token_expired")
            token_secret = entry.secret
        expected = hmac_sha1_signature(
            generate_signature_base_string(request), consumer_secret, token_secret
        )
        if not secrets.compare_digest(expected, oauth["oauth_signature"]):
            raise OAuthProblem(401, "signature_invalid")
        nonce = (oauth["oauth_timestamp"], oauth["oauth_nonce"])
        if nonce in self._nonces:
            raise OAuthProblem(401, "nonce_used")
        self._nonces.add(nonce)
        return dict(oauth)

    def _request_token(self, method, url, headers, body):
        oauth = self._verify(method, url, headers, body, token_kind=None)
        self.received.append(Received(method, "reqtoken", {}, oauth))
        callback = oauth.get("oauth_callback")
        if not callback:
            raise OAuthProblem(400, "parameter_absent")
        if callback != "oob":
            raise OAuthProblem(400, "parameter_rejected")
        token, secret = secrets.token_urlsafe(30), secrets.token_urlsafe(30)
        self.request_tokens[token] = RequestToken(secret, time.time() + 3 * 3600)
        answer = {
            "oauth_token": token,
            "oauth_token_secret": secret,
            "oauth_callback_confirmed": "true",
        }
        return (
            200,
            {"Content-Type": "application/x-www-form-urlencoded"},
            urlencode(answer).encode(),
        )

    def _authorize_page(self, query):
        token = query.get("oauth_token", "")
        if token not in self.request_tokens:
            return 400, {"Content-Type": "text/html"}, b"<html>Unknown or expired request.</html>"
        if query.get("decision") != "allow":
            page = f'<html><form>Log in to car2go to let the app see your bookings. <input name="oauth_token" value="{token}"></form></html>'
            return 200, {"Content-Type": "text/html"}, page.encode()
        verifier = self.approve(token, query.get("user", "max"))
        if self.callback_url:
            sep = "&" if "?" in self.callback_url else "?"
            target = (
                self.callback_url
                + sep
                + urlencode({"oauth_token": token, "oauth_verifier": verifier})
            )
            return 302, {"Location": target}, b""
        page = f"<html>Your car2go code: <b>{verifier}</b>. Type it into the app.</html>"
        return 200, {"Content-Type": "text/html"}, page.encode()

    def _access_token(self, method, url, headers, body):
        oauth = self._verify(method, url, headers, body, token_kind="request")
        self.received.append(Received(method, "accesstoken", {}, oauth))
        entry = self.request_tokens[oauth["oauth_token"]]
        if entry.user is None:
            raise OAuthProblem(401, "permission_unknown")
        if not oauth.get("oauth_verifier"):
            raise OAuthProblem(400, "parameter_absent")
        if not secrets.compare_digest(oauth["oauth_verifier"], entry.verifier or ""):
            raise OAuthProblem(401, "verifier_invalid")
        del self.request_tokens[oauth["oauth_token"]]
        token, secret = secrets.token_urlsafe(30), secrets.token_urlsafe(30)
        self.access_tokens[token] = AccessToken(secret, entry.user, time.time() + 30 * 86400)
        answer = {"oauth_token": token, "oauth_token_secret": secret}
        return (
            200,
            {"Content-Type": "application/x-www-form-urlencoded"},
            urlencode(answer).encode(),
        )

    # --- API v2.1 ---------------------------------------------------------------------------

    def _public(self, resource, query):
        if query.get("oauth_consumer_key") not in self.consumers:
            raise OAuthProblem(401, "consumer_key_unknown")
        self.received.append(Received("GET", resource, dict(query), {}))
        if resource == "locations":
            return self._json(
                {"location": [{"locationName": loc.title()} for loc in self.locations]}
            )
        if query.get("loc") not in self.locations:
            return self._json({"placemarks": []})
        taken = {b.vin for b in self.bookings.values() if b.vin}
        marks = [
            {
                "address": car.address,
                "coordinates": [car.longitude, car.latitude, 0],
                "exterior": car.exterior,
                "fuel": car.fuel,
                "interior": car.interior,
                "name": car.plate,
                "vin": car.vin,
                "engineType": car.engine,
                **({"charging": car.charging} if car.charging is not None else {}),
                "smartPhoneRequired": False,
            }
            for car in self.cars.values()
            if car.loc == query["loc"] and car.vin not in taken
        ]
        return self._json({"placemarks": marks})

    def _location_problem(self, query) -> int | None:
        if not query.get("loc"):
            return 4
        if query["loc"] not in self.locations:
            return 1
        return None

    def _accounts(self, user, query):
        code = self._location_problem(query)
        if code:
            return self._coded(code)
        if not user.accounts:
            return self._coded(3)
        accounts = [{"accountId": i, "description": d} for i, d in user.accounts]
        return {"returnValue": self._return(0), "account": accounts}

    def _bookings(self, user, query):
        code = self._location_problem(query)
        if code:
            return self._coded(code)
        if not user.accounts:
            return self._coded(3)
        mine = [self._booking_json(b) for b in self.bookings.values() if b.user == user.id]
        return {"booking": mine, "returnValue": self._return(0)}

    def _current(self, user, query):
        code = self._location_problem(query)
        if code:
            return self._coded(code)
        reserved = [b for b in self.bookings.values() if b.user == user.id and b.vin]
        if not reserved:
            return self._coded(12)
        return {"booking": [self._booking_json(reserved[0])], "returnValue": self._return(0)}

    def _create(self, user, query):
        code = self._location_problem(query)
        if code:
            return self._coded(code)
        if not query.get("vin") or not query.get("account"):
            return self._coded(4)
        if not user.accounts:
            return self._coded(3)
        try:
            account_id = int(query["account"])
        except ValueError:
            return self._coded(6)
        account = next((a for a in user.accounts if a[0] == account_id), None)
        if account is None:
            return self._coded(6)
        if not user.licence_ok:
            return self._coded(7)
        if account_id in user.locked_accounts:
            return self._coded(8)
        car = self.cars.get(query["vin"])
        if car is None or car.loc != query["loc"]:
            return self._coded(10)
        taken = any(b.vin == car.vin for b in self.bookings.values())
        if taken or len(self.open_bookings(user.id)) >= user.max_bookings:
            return self._coded(9)
        self._next_booking += 1
        booking = FakeBooking(
            self._next_booking,
            user.id,
            account,
            datetime.now(UTC).replace(microsecond=0),
            car.address,
            car.latitude,
            car.longitude,
            vin=car.vin,
            cancel_fee=self.new_booking_cancel_fee,
        )
        self.bookings[booking.id] = booking
        return {"booking": [self._booking_json(booking)], "returnValue": self._return(0)}

    def _cancel(self, user, raw_id):
        if not raw_id.isdigit():
            return self._coded(6)
        booking = self.bookings.get(int(raw_id))
        if booking is None or booking.user != user.id:
            return self._coded(11)
        del self.bookings[booking.id]
        info = {
            "cancelFee": booking.cancel_fee or "0.00",
            "cancelFeeCurrency": booking.currency,
            "cancelFeeExists": booking.cancel_fee is not None and Decimal(booking.cancel_fee) > 0,
        }
        return {"cancelBooking": [info], "returnValue": self._return(0)}

    def _booking_json(self, booking: FakeBooking) -> dict[str, Any]:
        item: dict[str, Any] = {
            "account": {"accountId": booking.account[0], "description": booking.account[1]},
            "bookingId": booking.id,
            "bookingposition": {
                "address": booking.address,
                "latitude": booking.latitude,
                "longitude": booking.longitude,
            },
            "reservationTime": self._time_json(booking.reserved_at),
        }
        car = self.cars.get(booking.vin or "")
        if car is not None:
            item["vehicle"] = {
                "engineType": car.engine,
                "exterior": car.exterior,
                "fuel": car.fuel,
                "interior": car.interior,
                "numberPlate": car.plate,
                "position": {
                    "address": car.address,
                    "latitude": car.latitude,
                    "longitude": car.longitude,
                },
                "vin": car.vin,
                **({"charging": car.charging} if car.charging is not None else {}),
            }
        return item

    def _time_json(self, at: datetime) -> Any:
        if self.iso_times:
            return at.astimezone(timezone_berlin()).isoformat(timespec="minutes")
        return {
            "firstDayOfWeek": 1,
            "lenient": True,
            "time": at.date().isoformat(),
            "timeInMillis": int(at.timestamp() * 1000),
            "timeZone": {"ID": "Europe/Berlin", "rawOffset": 3600000, "DSTSavings": 3600000},
        }

    @staticmethod
    def _return(code: int) -> dict[str, Any]:
        return {"code": code, "description": DESCRIPTIONS.get(code, "?")}

    def _coded(self, code: int) -> dict[str, Any]:
        return {"returnValue": self._return(code)}

    @staticmethod
    def _json(body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # One write per answer, no Nagle: no 40 ms delayed-ACK stall per call.
            wbufsize = 1 << 16
            disable_nagle_algorithm = True

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = f"http://{self.headers.get('Host')}{self.path}"
                # HTTPMessage: case-insensitive, as authlib reads Authorization and Host from it.
                status, answer_headers, data = fake._handle(self.command, url, self.headers, body)
                try:
                    self.send_response(status)
                    for name, value in answer_headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (timeout tests)

            do_GET = do_POST = do_DELETE = _any

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def settings_for(fake: FakeCar2go, **overrides: Any) -> Settings:
    """Settings of a bot whose car2go is `fake` (BOOKING_BACKEND=car2go, location Ulm)."""
    values = {
        "booking_backend": "car2go",
        "car2go_url": fake.url,
        "car2go_consumer_key": CONSUMER_KEY,
        "car2go_consumer_secret": CONSUMER_SECRET,
        "car2go_loc": "ulm",
        "currency": "EUR",
        **overrides,
    }
    return Settings(**values)


def _pop_matching(knobs: list[tuple[Any, str | None]], hit: str) -> Any:
    for index, (value, on) in enumerate(knobs):
        if on is None or on == hit:
            del knobs[index]
            return value
    return None


def timezone_berlin():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Berlin")


@contextmanager
def running() -> Iterator[FakeCar2go]:
    fake = FakeCar2go().start()
    try:
        yield fake
    finally:
        fake.stop()
