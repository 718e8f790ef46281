"""What only Launch27 does, against the local Launch27 server: one-time codes, the platform's
lock-out, what goes over the wire (headers, confirmed_fee, 406 confirmations), the cancellation
policy's fee rules, and that no password or token reaches a log line."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot import deadline
from bot.backends import make_backend
from bot.backends.launch27 import Launch27CustomerBackend, Launch27LegacyBackend
from bot.backends.launch27.policy import CancellationPolicy
from bot.backends.protocol import (
    AccountLocked,
    BackendUnavailable,
    BookingRequest,
    ConfirmationRequired,
    Customer,
    InvalidCredentials,
    Money,
    OneTimeCodeRequired,
    OutcomeUnknown,
)
from bot.config import Settings
from tests.conftest import Clock
from tests.fakes.launch27_server import (
    ALEX_EMAIL,
    ALEX_PASSWORD,
    API_KEY,
    SAM_EMAIL,
    SAM_OTP,
    SAM_PASSWORD,
    FakeLaunch27,
    Launch27Platform,
    Seeded,
    seed,
)


@pytest.fixture
def fake(clock: Clock) -> Iterator[FakeLaunch27]:
    server = FakeLaunch27(Launch27Platform(clock)).start()
    server.seeded = seed(server.platform)  # type: ignore[attr-defined]
    yield server
    server.stop()


@pytest.fixture
def ids(fake: FakeLaunch27) -> Seeded:
    return fake.seeded  # type: ignore[attr-defined]


@pytest.fixture
def customer_api(fake: FakeLaunch27, clock: Clock) -> Iterator[Launch27CustomerBackend]:
    backend = Launch27CustomerBackend(fake.url, clock=clock, read_timeout=0.5)
    yield backend
    backend.close()


@pytest.fixture
def legacy_api(fake: FakeLaunch27, clock: Clock) -> Iterator[Launch27LegacyBackend]:
    backend = Launch27LegacyBackend(fake.url, API_KEY, clock=clock, read_timeout=0.5)
    yield backend
    backend.close()


# --- login --------------------------------------------------------------------------------------


def test_an_account_with_a_one_time_code_asks_for_it(customer_api) -> None:
    with pytest.raises(OneTimeCodeRequired):
        customer_api.login(SAM_EMAIL, SAM_PASSWORD)
    with pytest.raises(InvalidCredentials):
        customer_api.login(SAM_EMAIL, SAM_PASSWORD, one_time_code="000000")
    customer = customer_api.login(SAM_EMAIL, SAM_PASSWORD, one_time_code=SAM_OTP)
    assert customer.name == "Sam Lee"
    assert customer.token


def test_five_wrong_passwords_in_a_minute_lock_the_account_for_five_minutes(
    customer_api, clock: Clock
) -> None:
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            customer_api.login(ALEX_EMAIL, "wrong")
    with pytest.raises(AccountLocked) as locked:
        customer_api.login(ALEX_EMAIL, ALEX_PASSWORD)
    assert locked.value.minutes == 5
    clock.advance(minutes=5, seconds=1)
    assert customer_api.login(ALEX_EMAIL, ALEX_PASSWORD).email == ALEX_EMAIL


def test_make_backend_picks_the_api_from_the_settings(fake: FakeLaunch27) -> None:
    env = {"BOOKING_BACKEND": "launch27", "LAUNCH27_URL": fake.url + "/"}
    customer = make_backend(Settings.from_env(env))
    legacy = make_backend(
        Settings.from_env({**env, "LAUNCH27_API": "legacy", "LAUNCH27_API_KEY": API_KEY})
    )
    try:
        assert isinstance(customer, Launch27CustomerBackend)
        assert isinstance(legacy, Launch27LegacyBackend)
        assert legacy.login(ALEX_EMAIL, ALEX_PASSWORD).token
    finally:
        customer.close()
        legacy.close()
    with pytest.raises(ValueError, match="LAUNCH27_API_KEY"):
        make_backend(Settings.from_env({**env, "LAUNCH27_API": "legacy"}))
    with pytest.raises(ValueError, match="LAUNCH27_API"):
        make_backend(Settings.from_env({**env, "LAUNCH27_API": "v3"}))


# --- on the wire --------------------------------------------------------------------------------


def test_the_customer_api_sends_the_bearer_and_the_fee_it_showed(
    customer_api, fake: FakeLaunch27, ids: Seeded
) -> None:
    customer = customer_api.login(ALEX_EMAIL, ALEX_PASSWORD)
    with pytest.raises(ConfirmationRequired) as asked:
        customer_api.cancel_booking(customer, str(ids.late))
    assert asked.value.fee == Money(1000, "GBP")
    customer_api.cancel_booking(customer, str(ids.late), late=True, confirm_fee=asked.value.fee)
    assert fake.platform.cancel_bodies[-1] == {"confirmed_late": True, "confirmed_fee": 10.0}
    sent = [r for r in fake.platform.requests if r["path"].startswith("/latest/customer/")]
    assert sent and all(r["headers"]["Authorization"] == f"Bearer {customer.token}" for r in sent)


def test_a_fee_changed_while_the_cancel_was_on_its_way_is_asked_again(
    customer_api, fake: FakeLaunch27, ids: Seeded
) -> None:
    customer = customer_api.login(ALEX_EMAIL, ALEX_PASSWORD)
    with pytest.raises(ConfirmationRequired) as asked:
        customer_api.cancel_booking(customer, str(ids.late))

    def raise_fee() -> None:
        fake.platform.cancellation_policy["late_cancellation_fee"] = 15.0

    fake.knobs.before_cancel = raise_fee
    with pytest.raises(ConfirmationRequired) as again:
        customer_api.cancel_booking(customer, str(ids.late), late=True, confirm_fee=asked.value.fee)
    assert (asked.value.fee, again.value.reason, again.value.fee) == (
        Money(1000, "GBP"),
        "late",
        Money(1500, "GBP"),
    )
    assert fake.platform.bookings[ids.late].active, "nothing was cancelled at the old fee"


def test_a_percentage_fee_is_taken_of_the_amount_before_tax(
    customer_api, fake: FakeLaunch27, ids: Seeded
) -> None:
    fake.platform.cancellation_policy = {
        "custom": True,
        "unit": "hour",
        "quantity": 4,
        "late_cancellation_percent": 20.5,
        "cancellation_reason_on": False,
    }
    customer = customer_api.login(ALEX_EMAIL, ALEX_PASSWORD)
    with pytest.raises(ConfirmationRequired) as asked:
        customer_api.cancel_booking(customer, str(ids.late))
    # Standard clean £60 + 2 bedrooms £20 + oven £25 = £105 before tax; 20.5% = £21.525 → £21.53
    assert asked.value.fee == Money(2153, "GBP")
    customer_api.cancel_booking(customer, str(ids.late), late=True, confirm_fee=asked.value.fee)
    assert fake.platform.cancel_bodies[-1]["confirmed_fee"] == 21.53


def test_a_reason_is_asked_for_when_the_policy_wants_one(
    customer_api, fake: FakeLaunch27, ids: Seeded
) -> None:
    fake.platform.cancellation_policy["cancellation_reason_on"] = True
    customer = customer_api.login(ALEX_EMAIL, ALEX_PASSWORD)
    with pytest.raises(ConfirmationRequired) as asked:
        customer_api.cancel_booking(customer, str(ids.plain))
    assert asked.value.reason == "reason"
    customer_api.cancel_booking(customer, str(ids.plain), reason="Moving house")
    assert fake.platform.cancel_bodies[-1] == {"confirmed_late": False, "reason": "Moving house"}


def test_the_legacy_api_sends_key_token_and_version_and_confirms_406s(
    legacy_api, fake: FakeLaunch27, ids: Seeded
) -> None:
    customer = legacy_api.login(ALEX_EMAIL, ALEX_PASSWORD)
    with pytest.raises(ConfirmationRequired) as late:
        legacy_api.cancel_booking(customer, str(ids.late))
    assert late.value.reason == "late" and late.value.fee is None
    assert "Sparkle Cleaning" in late.value.message
    legacy_api.cancel_booking(customer, str(ids.late), late=True)
    with pytest.raises(ConfirmationRequired) as recurring:
        legacy_api.cancel_booking(customer, str(ids.recurring))
    assert recurring.value.reason == "recurring"
    legacy_api.cancel_booking(customer, str(ids.recurring), recurring=True, future=True)
    assert fake.platform.cancel_bodies[-1] == {
        "cancel_late": False,
        "cancel_recurring": True,
        "cancel_future": True,
    }
    booking_calls = [r for r in fake.platform.requests if r["path"].startswith("/api/bookings")]
    for call in booking_calls:
        assert call["headers"]["X-API-Key"] == API_KEY
        assert call["headers"]["X-Authentication"] == f"{ALEX_EMAIL}:{customer.token}"
        assert call["headers"]["Accept"] == "application/launch27.v2"


def test_the_fake_refuses_what_launch27_would(fake: FakeLaunch27) -> None:
    with httpx.Client(base_url=fake.url) as http:
        assert http.post("/api/auth", json={"auth": {"email": ALEX_EMAIL}}).status_code == 401
        assert http.get("/latest/customer/bookings").status_code == 401
        wrong = {"Authorization": "Bearer not-a-token"}
        assert http.get("/latest/customer/bookings", headers=wrong).status_code == 401
        login = http.post("/latest/login", json={"email": ALEX_EMAIL, "password": ALEX_PASSWORD})
        bearer = {"Authorization": f"Bearer {login.json()['bearer']}"}
        extra = http.post(
            "/latest/customer/bookings/1004/cancel", json={"please": True}, headers=bearer
        )
        assert extra.status_code == 422 and "please" in extra.json()["errors"]
        wrong_fee = http.post(
            "/latest/customer/bookings/1004/cancel",
            json={"confirmed_late": True, "confirmed_fee": 1.0},
            headers=bearer,
        )
        assert wrong_fee.status_code == 422 and "confirmed_fee" in wrong_fee.json()["errors"]


@pytest.mark.parametrize("api", ["customer", "legacy"])
def test_a_lost_create_that_cannot_be_looked_up_is_unknown_and_not_sent_again(
    api: str, customer_api, legacy_api, fake: FakeLaunch27, clock: Clock
) -> None:
    backend = customer_api if api == "customer" else legacy_api
    customer = backend.login(ALEX_EMAIL, ALEX_PASSWORD)
    backend.catalogue()
    request = BookingRequest(
        "2", clock.now + timedelta(days=2), "4", {"1": 1}, "5 Elm Road", pricing={"1": 2}
    )
    fake.knobs.drop_create_answers, fake.knobs.fail_after_lost_create = 1, True
    with pytest.raises(OutcomeUnknown):
        backend.create_booking(customer, request, "lost-and-down")
    creates = [
        r for r in fake.platform.requests if r["method"] == "POST" and "ookings" in r["path"]
    ]
    assert len(creates) == 1, "sent once, never blindly again"
    fake.knobs.fail_status = None
    again = backend.create_booking(customer, request, "lost-and-down")
    mine = [b for b in fake.platform.bookings.values() if b.address == "5 Elm Road"]
    assert [b.id for b in mine] == [int(again.id)], "the retry found the first one"


# --- timeouts and logs --------------------------------------------------------------------------


def test_reads_are_cut_short_by_the_message_deadline(fake: FakeLaunch27, clock: Clock) -> None:
    backend = Launch27CustomerBackend(fake.url, clock=clock)  # default 5 s read timeout
    customer = backend.login(ALEX_EMAIL, ALEX_PASSWORD)
    fake.knobs.delay, fake.knobs.delay_paths = 3.0, "/latest/customer"
    started = datetime.now(UTC)
    with deadline.deadline(1.0), pytest.raises(BackendUnavailable):
        backend.recent_bookings(customer)
    assert datetime.now(UTC) - started < timedelta(seconds=2.5), "within the 1 s budget, roughly"
    backend.close()


def test_no_password_or_token_reaches_a_log_line(
    customer_api, legacy_api, ids: Seeded, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tokens = []
    for backend in (customer_api, legacy_api):
        customer = backend.login(ALEX_EMAIL, ALEX_PASSWORD)
        tokens.append(customer.token)
        backend.recent_bookings(customer)
        with pytest.raises(ConfirmationRequired):
            backend.cancel_booking(customer, str(ids.recurring))
        with pytest.raises(InvalidCredentials):
            backend.login(ALEX_EMAIL, "Wr0ng-horse-battery")
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "launch27 POST /latest/login -> 200" in text, "calls are logged, without secrets"
    for secret in (ALEX_PASSWORD, "Wr0ng-horse-battery", API_KEY, *tokens):
        assert secret and secret not in text


def test_the_default_cancellation_rule_is_5pm_the_day_before() -> None:
    policy = CancellationPolicy.from_json({"custom": False, "late_cancellation_fee": 10.0})
    london = Settings().tz
    start = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    assert not policy.is_late(start, datetime(2026, 12, 1, 16, 59, tzinfo=UTC), london)
    assert policy.is_late(start, datetime(2026, 12, 1, 17, 0, tzinfo=UTC), london)
    assert policy.fee(Money(5000)) == Money(1000)
    free = CancellationPolicy.from_json({"custom": True, "unit": "day", "quantity": 1})
    assert free.late_fee(start, start - timedelta(hours=1), london, Money(5000)) is None


# --- odd bodies, through the transport seam -----------------------------------------------------


def odd_platform(bookings_body: object) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/latest/settings":
            return httpx.Response(200, json={"name": "Odd", "timezone": "Europe/London"})
        if request.url.path == "/latest/customer/bookings":
            return httpx.Response(200, json=bookings_body)
        return httpx.Response(404, json={"error": "Not found"})

    return httpx.MockTransport(answer)


@pytest.mark.parametrize(
    "body",
    [
        [{"id": 1, "service_date": "2026-12-01T10:00:00", "services": [{"id": 2, "extras": [
            {"name": "Oven", "quantity": "lots"}]}]}],
        [{"id": "one", "service_date": "2026-12-01T10:00:00"}],
        [{"id": 1, "service_date": "next tuesday"}],
        [{"id": 1, "service_date": "2026-12-01T10:00:00", "summary": {"total": "free"}}],
        [17],
        {"bookings": "none"},
    ],
)  # fmt: skip
def test_a_booking_list_of_the_wrong_shape_is_unavailable(body: object) -> None:
    backend = Launch27CustomerBackend("https://odd.launch27.test", transport=odd_platform(body))
    customer = Customer(id="15", name="Alex", email=ALEX_EMAIL, token="t0k")
    with pytest.raises(BackendUnavailable):
        backend.recent_bookings(customer)
    backend.close()
