"""The backends under contract, one entry each.

A backend joins the suite by adding one factory to `PLATFORMS`: it builds the backend against
its local server (or private database) at the shared test clock, and says how to log in, which
of its bookings are late / recurring / plain / past, and how to make its platform fail. Cases
skip only for a capability the backend does not declare, or a failure its kind of platform
cannot have (a database sends no non-JSON body); the skip reason says which.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx
import pytest

from bot.backends.protocol import (
    BookingBackend,
    BookingRequest,
    Capability,
    Customer,
    OutcomeUnknown,
)
from bot.config import Settings
from tests.conftest import Clock

FAULTS = ("timeout", "5xx", "refused", "non_json", "wrong_shape")
FAST_READ = 0.4
"""Adapters under contract time out fast, so timeout cases stay quick."""


@dataclass
class Scenario:
    late: str
    recurring: str
    plain: str
    past: str


@dataclass
class Platform:
    name: str
    backend: BookingBackend
    identifier: str
    secret: str
    wrong_secret: str
    ids: Scenario
    clock: Clock
    names_late_fee: bool = True
    """False where the platform's late question names no fee (Launch27 legacy's 406)."""
    names_customer: bool = True
    """False where logging in tells nothing of the customer but the login (Gazoop)."""
    prices: bool = True
    """False where bookings come without a price (Gazoop)."""
    faults: dict[str, Callable[[], AbstractContextManager[BookingBackend]]] = field(
        default_factory=dict
    )
    """Fault name -> a context in which the returned backend meets that failure."""
    lose_next_create_answer: Callable[[], None] = lambda: None
    change_late_fee: Callable[[], None] | None = None
    """Makes the platform's late fee differ from the one shown (None: a stale fee is used)."""
    revoke: Callable[[Customer], None] | None = None
    """Makes the platform refuse this customer's token (401) or, where the secret goes with
    every call (Gazoop), changes it (`secret` is then the new one); None: no platform sessions."""
    customer: Customer | None = None
    connect: Callable[[bool], Customer] | None = None
    """Link login (car2go): the customer allows access and the right code (True) or a wrong one
    (False) is exchanged. None: the platform logs in with `identifier` and `secret`."""
    lacks: frozenset[str] = frozenset()
    """What this kind of platform cannot have: `late` (a fee question before a late cancel),
    `recurring` (series), `past` (past bookings listed), `scheduled` (bookings made for a chosen
    time from a catalogue of priced services). Cases needing one skip, saying which."""
    forgets_cancelled: bool = False
    """A cancelled booking is no longer listed (car2go lists current reservations only)."""

    def login(self) -> Customer:
        if self.customer is None:
            self.customer = self.fresh_login()
        return self.customer

    def fresh_login(self, right: bool = True) -> Customer:
        if self.connect is not None:
            return self.connect(right)
        return self.backend.login(self.identifier, self.secret if right else self.wrong_secret)

    def lack(self, kind: str) -> None:
        if kind in self.lacks:
            pytest.skip(f"{self.name} has no {kind} bookings")

    def needs(self, capability: Capability) -> None:
        if capability not in self.backend.capabilities:
            pytest.skip(f"{self.name} does not declare {capability.value}")

    def fault(self, kind: str) -> AbstractContextManager[BookingBackend]:
        if kind not in self.faults:
            pytest.skip(f"{self.name}: '{kind}' cannot happen on this kind of platform")
        return self.faults[kind]()

    def request(self, days: int = 2, hour: int = 10) -> BookingRequest:
        """A bookable request: the first service done at an address, with its first extra and
        pricing parameter where it has them, `days` ahead at `hour` local time."""
        self.lack("scheduled")
        catalogue = self.backend.catalogue()
        service = next(s for s in catalogue.services if s.kind == "address")
        one_off = next(f for f in catalogue.frequencies if f.interval_days is None)
        tz = getattr(self.backend, "settings", Settings()).tz
        day = self.clock.now.astimezone(tz).date() + timedelta(days=days)
        pricing = {}
        if service.pricing_parameters:
            parameter = service.pricing_parameters[0]
            pricing = {parameter.id: min(parameter.maximum, max(parameter.minimum, 1) + 1)}
        return BookingRequest(
            service_id=service.id,
            start=datetime.combine(day, time(hour, 0), tzinfo=tz),
            frequency_id=one_off.id,
            extras={service.extras[0].id: 1} if service.extras else {},
            address="5 Elm Road",
            city="Kingston upon Thames",
            postcode="KT2 5AA",
            pricing=pricing,
        )


# --- the built-in store -------------------------------------------------------------------------


def builtin(clock: Clock, http: httpx.Client) -> Iterator[Platform]:
    from bot.backends.builtin import BuiltinBackend
    from tests.fakes.faulty_backend import FaultyBackend

    settings = Settings()
    real = BuiltinBackend("sqlite://", settings=settings, clock=clock)
    backend = FaultyBackend(real)
    customer = real.login("447700900123", "1234")
    now = clock.now
    mine = real.recent_bookings(customer)

    def pick(test: Callable[[Any], bool]) -> str:
        return min((b for b in mine if test(b)), key=lambda b: b.start).id

    day = timedelta(hours=settings.late_cancel_hours)
    ids = Scenario(
        late=pick(lambda b: not b.recurring and now < b.start < now + day),
        recurring=pick(lambda b: b.recurring and b.start > now + day),
        plain=pick(lambda b: not b.recurring and b.start > now + day),
        past=pick(lambda b: b.start < now),
    )

    @contextmanager
    def refused() -> Iterator[BookingBackend]:
        broken = BuiltinBackend(
            "postgresql+psycopg://postgres@127.0.0.1:9/none?connect_timeout=1",
            settings=settings,
            clock=clock,
        )
        try:
            yield broken
        finally:
            broken.close()

    def lose() -> None:
        backend.fail("create_booking", OutcomeUnknown("answer lost (simulated)"), after_call=True)

    yield Platform(
        name="builtin",
        backend=backend,
        identifier="447700900123",
        secret="1234",
        wrong_secret="9999",
        ids=ids,
        clock=clock,
        faults={"refused": refused},
        lose_next_create_answer=lose,
        customer=customer,
    )
    real.close()


# --- Launch27, both APIs, against the local server ------------------------------------------------


def launch27(api: str) -> Callable[[Clock], Iterator[Platform]]:
    def make(clock: Clock, http: httpx.Client) -> Iterator[Platform]:
        from bot.backends.launch27 import APIS
        from tests.fakes.launch27_server import (
            ALEX_EMAIL,
            ALEX_PASSWORD,
            API_KEY,
            FakeLaunch27,
            Launch27Platform,
            seed,
        )

        platform = Launch27Platform(clock)
        seeded = seed(platform)
        fake = FakeLaunch27(platform).start()
        adapter = APIS[api]

        def backend_at(url: str, read_timeout: float = FAST_READ) -> BookingBackend:
            return adapter(
                url,
                API_KEY,
                clock=clock,
                client=http,
                connect_timeout=0.5,
                read_timeout=read_timeout,
            )

        backend = backend_at(fake.url)

        def knob(
            read_timeout: float = FAST_READ, **settings: Any
        ) -> Callable[[], AbstractContextManager[BookingBackend]]:
            @contextmanager
            def broken() -> Iterator[BookingBackend]:
                fresh = backend_at(fake.url, read_timeout)  # nothing cached from the healthy one
                for name, value in settings.items():
                    setattr(platform.knobs, name, value)
                try:
                    yield fresh
                finally:
                    for name in settings:
                        setattr(platform.knobs, name, type(platform.knobs)().__dict__[name])
                    fresh.close()

            return broken

        refused = refused_at(backend_at)

        def lose() -> None:
            platform.knobs.drop_create_answers = 1

        def change_fee() -> None:
            platform.cancellation_policy["late_cancellation_fee"] = 12.5

        yield Platform(
            name=f"launch27-{api}",
            backend=backend,
            identifier=ALEX_EMAIL,
            secret=ALEX_PASSWORD,
            wrong_secret="not-the-password",
            ids=Scenario(
                str(seeded.late), str(seeded.recurring), str(seeded.plain), str(seeded.past)
            ),
            clock=clock,
            names_late_fee=api == "customer",
            faults={
                "timeout": knob(read_timeout=0.15, delay=0.6),
                "5xx": knob(fail_status=503),
                "refused": refused,
                "non_json": knob(non_json=True),
                "wrong_shape": knob(wrong_shape=True),
            },
            lose_next_create_answer=lose,
            change_late_fee=change_fee if api == "customer" else None,
            revoke=lambda customer: platform.revoke(customer.email or ""),
        )
        backend.close()
        fake.stop()

    return make


# --- Gazoop, against the local server (list only) ---------------------------------------------


def gazoop(clock: Clock, http: httpx.Client) -> Iterator[Platform]:
    """30 rides a day apart, the newest 3 days ahead: Gazoop answers the newest 25 (a platform
    declaring a `history_limit` holds more bookings than it)."""
    from bot.backends.gazoop import GazoopBackend
    from bot.deadline import deadline
    from tests.fakes.gazoop_server import FakeGazoop, rides

    phone, pin = "447700900123", "1234"
    tz = Settings().tz
    fake = FakeGazoop().start()
    newest = clock.now.astimezone(tz).replace(tzinfo=None, second=0, microsecond=0)
    account = fake.add_account(phone, pin, rides(newest + timedelta(days=3), 30, timedelta(1)))

    def backend_at(url: str) -> GazoopBackend:
        return GazoopBackend(url, tz=tz, clock=clock, client=http)

    backend = backend_at(fake.url)
    listed = backend.recent_bookings(backend.login(phone, pin))
    booked = sorted((b for b in listed if b.status.value == "booked"), key=lambda b: b.start)
    ahead = [b.id for b in booked if b.start > clock.now]
    before = [b.id for b in booked if b.start < clock.now]

    def knob(**settings: Any) -> Callable[[], AbstractContextManager[BookingBackend]]:
        @contextmanager
        def broken() -> Iterator[BookingBackend]:
            for name, value in settings.items():
                setattr(fake, name, value)
            try:
                if fake.delay:
                    with deadline(FAST_READ * 2):  # the message's budget cuts the slow read
                        yield backend
                else:
                    yield backend
            finally:
                fake.fault, fake.delay = None, 0.0

        return broken

    refused = refused_at(backend_at)

    platform = Platform(
        name="gazoop",
        backend=backend,
        identifier=phone,
        secret=pin,
        wrong_secret="9999",
        ids=Scenario(late=ahead[0], recurring=ahead[-1], plain=ahead[-1], past=before[-1]),
        clock=clock,
        names_customer=False,
        prices=False,
        faults={
            "timeout": knob(delay=FAST_READ * 4),
            "5xx": knob(fault="503"),
            "refused": refused,
            "non_json": knob(fault="non_json"),
            "wrong_shape": knob(fault="wrong_shape"),
        },
    )

    def change_pin(customer: Customer) -> None:
        account.pin = platform.secret = "5678"

    platform.revoke = change_pin
    yield platform
    backend.close()
    fake.stop()


# --- car2go, against the local car2go --------------------------------------------------------------


def car2go(clock: Clock, http: httpx.Client) -> Iterator[Platform]:
    from bot.backends.car2go import make_car2go_backend
    from bot.deadline import deadline
    from tests.fakes.car2go_server import FakeCar2go, settings_for

    fake = FakeCar2go().start()
    fake.add_user("max", [(1002, "Max Mustermann")])
    now = datetime.now(UTC)
    for n in range(3):
        fake.add_car(f"WME45130010{n:05d}", f"UL-C57{n:02d}", f"Karlstrasse {n}, Ulm", 48.4, 9.96)
    ids = [
        str(
            fake.add_booking("max", now - timedelta(minutes=m), "Ulm", vin=f"WME45130010{n:05d}").id
        )
        for n, m in ((0, 9), (1, 5), (2, 1))
    ]
    backend = make_car2go_backend(settings_for(fake))

    def connect(right: bool) -> Customer:
        authorization = backend.start_authorization(None)
        code = fake.approve(authorization.request_token, "max")
        return backend.finish_authorization(authorization, code if right else code[::-1] + "x")

    def failing(status: int) -> Callable[[], AbstractContextManager[BookingBackend]]:
        @contextmanager
        def broken() -> Iterator[BookingBackend]:
            fake.fail_next(status, times=50)
            try:
                yield backend
            finally:
                fake.heal()

        return broken

    @contextmanager
    def slow() -> Iterator[BookingBackend]:
        fake.delay_next(1.0, times=20)
        try:
            with deadline(1.2):  # the message's time budget, nearly spent
                yield backend
        finally:
            fake.heal()

    refused = refused_at(lambda url: make_car2go_backend(settings_for(fake, car2go_url=url)))

    def revoke(customer: Customer) -> None:
        fake.revoke(customer.token or "")

    yield Platform(
        name="car2go",
        backend=backend,
        identifier="",
        secret="",
        wrong_secret="",
        ids=Scenario(late="", recurring="", plain=ids[0], past=""),
        clock=clock,
        faults={
            "timeout": slow,
            "5xx": failing(503),
            "non_json": failing(200),
            "refused": refused,
        },
        revoke=revoke,
        connect=connect,
        lacks=frozenset({"late", "recurring", "past", "scheduled"}),
        forgets_cancelled=True,
    )
    backend.close()
    fake.stop()


PLATFORMS: dict[str, Callable[[Clock, httpx.Client], Iterator[Platform]]] = {
    "builtin": builtin,
    "gazoop": gazoop,
    "launch27-customer": launch27("customer"),
    "launch27-legacy": launch27("legacy"),
    "car2go": car2go,
}


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    """One pooled client for every HTTP backend under test (building one costs ~0.2 s)."""
    with httpx.Client() as client:
        yield client


@pytest.fixture(params=sorted(PLATFORMS))
def platform(
    request: pytest.FixtureRequest, clock: Clock, http: httpx.Client
) -> Iterator[Platform]:
    yield from PLATFORMS[request.param](clock, http)


def refused_at(
    backend_at: Callable[[str], BookingBackend],
) -> Callable[[], AbstractContextManager[BookingBackend]]:
    """The "refused" fault of an HTTP platform: its backend pointed at a port nothing listens on."""

    @contextmanager
    def refused() -> Iterator[BookingBackend]:
        closed = backend_at(f"http://127.0.0.1:{closed_port()}")
        try:
            yield closed
        finally:
            closed.close()

    return refused


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
