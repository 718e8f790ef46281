"""Logging in as the platform does it: PIN or password, one-time codes, the platform's own
lock-out, a login the platform ended, and what the menu offers from the capabilities."""

from __future__ import annotations

from typing import Any

import pytest

from bot.backends.protocol import (
    EMAIL_PASSWORD_LOGIN,
    LINK_LOGIN,
    AccountLocked,
    Authorization,
    Capability,
    Customer,
    InvalidCredentials,
    LoginExpired,
    LoginMethod,
    OneTimeCodeRequired,
)
from bot.conversation.states import State
from bot.runtime import build_runtime
from tests.fakes.chat import DEMO_PHONE, Chat

EMAIL = "alex.morgan@example.com"
PASSWORD = "correct horse 7"


class PlatformBackend:
    """The built-in backend dressed as another platform: its login method and capabilities,
    and the login errors a test asks for."""

    def __init__(self, inner: Any, login_method: LoginMethod | None = None) -> None:
        self.inner = inner
        self.login_method = login_method or inner.login_method
        self.capabilities = frozenset(inner.capabilities)
        self.needs_code = False
        self.locked_minutes: int | None = None
        self.expired = False
        self.logins: list[tuple[str, str | None]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def login(self, identifier: str, secret: str, one_time_code: str | None = None) -> Customer:
        self.logins.append((identifier, one_time_code))
        if self.locked_minutes is not None:
            raise AccountLocked(minutes=self.locked_minutes)
        if self.login_method.secret == "password":
            if identifier != EMAIL or secret != PASSWORD:
                raise InvalidCredentials()
            if self.needs_code and one_time_code is None:
                raise OneTimeCodeRequired()
            if self.needs_code and one_time_code != "123456":
                raise InvalidCredentials()
            return self.inner.login(DEMO_PHONE, "1234")
        return self.inner.login(identifier, secret)

    def recent_bookings(self, customer: Customer, limit: int = 25):
        if self.expired:
            raise LoginExpired()
        return self.inner.recent_bookings(customer, limit)


@pytest.fixture
def platform(backend) -> PlatformBackend:
    return PlatformBackend(backend)


@pytest.fixture
def password_platform(backend) -> PlatformBackend:
    return PlatformBackend(backend, EMAIL_PASSWORD_LOGIN)


def chat_on(any_redis, backend, settings, clock, channel: str) -> Chat:
    engine = build_runtime(settings, redis_client=any_redis, backend=backend, clock=clock).engine
    return Chat(engine, channel=channel)


@pytest.mark.parametrize("pin", ["١٢٣٤", "１２３４", "12 34", "۱۲۳۴"])
def test_pins_in_any_scripts_digits_log_in(chat, pin: str) -> None:
    sms = chat("sms")
    sms.send("hi")
    assert "Hi Alex, you're logged in." in sms.send(pin)


def test_a_pin_as_the_first_sms_is_tried_for_the_senders_number(chat) -> None:
    sms = chat("sms")
    answer = sms.send("1234")
    assert answer.startswith("Hi Alex, you're logged in.\nWhat would you like to do?")
    assert len(sms.transcript) == 1


def test_a_wrong_pin_as_the_first_sms_counts_and_asks_again(chat) -> None:
    sms = chat("sms")
    assert "don't match our records" in sms.send("9999")
    assert sms.session.state == State.ASK_PIN


def test_telegram_number_and_pin_in_one_message_log_in_and_are_deleted(chat) -> None:
    tg = chat("telegram")
    answer = tg.send("+44 7700 900123 1234")
    assert answer.startswith("Hi Alex, you're logged in.")
    assert tg.replies[0].delete_incoming
    assert tg.session.logged_in
    tg2 = chat("telegram", conversation="43")
    tg2.send("/start")
    tg2.send("+44 7700 900123 1234")
    assert tg2.session.logged_in and tg2.replies[0].delete_incoming


def test_an_edited_message_that_becomes_a_pin_is_deleted_and_not_checked(chat) -> None:
    tg = chat("telegram")
    tg.send("/start")
    tg.send("+44 7700 900123")
    answer = tg.send("1234", edited=True, message_id="7")
    assert "deleted that edited message" in answer
    assert tg.replies[0].delete_incoming
    assert not tg.session.logged_in


def test_an_edited_message_otherwise_is_asked_again(chat) -> None:
    tg = chat("telegram")
    tg.login()
    answer = tg.send("bookings", edited=True, message_id="8")
    assert answer == "I only read new messages: please send it again."
    assert not tg.replies[0].delete_incoming
    assert tg.session.state == State.MENU


def test_password_login_by_email_deletes_the_password_and_never_stores_it(
    any_redis, password_platform, settings, clock
) -> None:
    tg = chat_on(any_redis, password_platform, settings, clock, "telegram")
    assert "email address" in tg.send("/start")
    assert "Now send your password." in tg.send(EMAIL)
    assert "don't match our records" in tg.send("wrong one")
    assert tg.replies[0].delete_incoming
    assert "Hi Alex" in tg.send(PASSWORD)
    assert tg.replies[0].delete_incoming
    for key in any_redis.scan_iter("*"):
        assert PASSWORD.encode() not in (any_redis.dump(key) or b""), key


def test_one_time_code_is_asked_and_the_password_dropped_right_after(
    any_redis, password_platform, settings, clock
) -> None:
    password_platform.needs_code = True
    tg = chat_on(any_redis, password_platform, settings, clock, "telegram")
    tg.send("/start")
    tg.send(EMAIL)
    assert "6-digit code" in tg.send(PASSWORD)
    assert tg.session.state == State.ASK_CODE
    assert tg.session.data["secrets"], "kept only in the encrypted secrets while waiting"
    assert "Hi Alex" in tg.send("١٢٣٤٥٦")
    assert "secrets" not in tg.session.data
    assert password_platform.logins[-1] == (EMAIL, "123456")


def test_a_wrong_one_time_code_asks_for_the_password_again(
    any_redis, password_platform, settings, clock
) -> None:
    password_platform.needs_code = True
    tg = chat_on(any_redis, password_platform, settings, clock, "telegram")
    tg.send("/start")
    tg.send(EMAIL)
    tg.send(PASSWORD)
    assert "That code didn't work. Please send your password again." in tg.send("000000")
    assert "secrets" not in tg.session.data
    assert tg.session.state == State.ASK_PIN


def test_the_platforms_lock_out_is_said_plainly(any_redis, platform, settings, clock) -> None:
    platform.locked_minutes = 5
    sms = chat_on(any_redis, platform, settings, clock, "sms")
    sms.send("hi")
    answer = sms.send("1234")
    assert "Your account is paused by our booking system for 5 minutes" in answer


def test_a_login_the_platform_ended_asks_to_log_in_again_keeping_the_draft(
    any_redis, platform, settings, clock
) -> None:
    sms = chat_on(any_redis, platform, settings, clock, "sms")
    sms.login()
    sms.send("BOOK deep clean")
    draft = sms.session.draft
    platform.expired = True
    answer = sms.send("BOOKINGS")
    assert answer.startswith("Please log in again. Please send your PIN")
    assert not sms.session.logged_in and sms.session.draft == draft
    platform.expired = False
    assert "Hi Alex" in sms.send("1234")
    assert "Finish my booking" in sms.send("MENU")


def test_menus_offer_only_what_the_platform_can_do_with_fixed_numbers(
    any_redis, platform, settings, clock
) -> None:
    platform.capabilities = frozenset({Capability.CANCEL, Capability.TRACK})
    sms = chat_on(any_redis, platform, settings, clock, "sms")
    menu = sms.login()
    assert "My bookings" not in menu and "Book" not in menu.replace("bookings", "")
    assert "3 Cancel a booking\n4 Track\n5 Log out" in menu
    assert sms.send("BOOKINGS").startswith("Sorry, listing bookings isn't available here.\n")
    assert sms.send("BOOK").startswith("Sorry, booking by chat isn't available here.\n")
    help_text = sms.send("HELP")
    assert "BOOKINGS" not in help_text and "BOOK " not in help_text
    assert sms.send("3").startswith("Which booking to cancel?")


def test_help_and_sms_menus_never_offer_a_bare_opt_out_word(chat) -> None:
    sms = chat("sms")
    sms.login()
    help_text = sms.send("HELP")
    assert "CANCEL 2 (or CANCEL BOOKING)" in help_text
    for word in ("STOP", "CANCEL,", "CANCEL.", "QUIT", "END"):
        assert f"send {word}" not in help_text.replace("CANCEL 2", "")


class LinkBackend(PlatformBackend):
    """A platform whose customers authorise the bot by a link (car2go's OAuth 1.0a)."""

    def __init__(self, inner: Any) -> None:
        super().__init__(inner, LINK_LOGIN)
        self.finished: list[tuple[str, str]] = []

    def start_authorization(self, callback_url: str | None) -> Authorization:
        return Authorization("https://platform.example/authorize?t=req1", "req1", "req-secret")

    def finish_authorization(self, authorization: Authorization, verifier: str) -> Customer:
        self.finished.append((authorization.request_token, verifier))
        if verifier != "V3R1F":
            raise InvalidCredentials()
        return self.inner.login(DEMO_PHONE, "1234")


def test_link_login_sends_the_link_and_takes_the_typed_code(
    any_redis, backend, settings, clock
) -> None:
    link = LinkBackend(backend)
    tg = chat_on(any_redis, link, settings, clock, "telegram")
    answer = tg.send("/start")
    assert "Open https://platform.example/authorize?t=req1 to connect your account" in answer
    assert tg.session.state == State.ASK_LINK
    assert "req-secret" not in tg.session.to_json()  # it waits with the pending links
    assert "That code didn't work." in tg.send("nope")
    assert "You're connected, Alex." in tg.send("V3R1F")
    assert link.finished[-1] == ("req1", "V3R1F")
    assert "secrets" not in tg.session.data


def test_typed_codes_count_against_the_bots_own_attempt_limit(
    any_redis, backend, settings, clock
) -> None:
    link = LinkBackend(backend)
    tg = chat_on(any_redis, link, settings, clock, "telegram")
    tg.send("/start")
    for _ in range(5):
        assert "That code didn't work." in tg.send("guess")
    assert "Too many wrong codes." in tg.send("V3R1F")
    assert len(link.finished) == 5  # the sixth was never tried
    clock.advance(minutes=16)
    assert "You're connected, Alex." in tg.send("V3R1F")


def test_a_link_used_up_elsewhere_gets_a_new_one_when_the_code_is_typed(
    any_redis, backend, settings, clock
) -> None:
    link = LinkBackend(backend)
    tg = chat_on(any_redis, link, settings, clock, "telegram")
    tg.send("/start")
    assert tg.engine.links.take("req1") is not None  # the callback page took it first
    answer = tg.send("V3R1F")
    assert "That link has expired, so here is a new one. Open https://platform" in answer
    assert tg.session.state == State.ASK_LINK and not tg.session.logged_in


def test_coming_back_through_the_callback_connects_the_chat_and_runs_what_it_asked(
    any_redis, backend, settings, clock
) -> None:
    link = LinkBackend(backend)
    sms = chat_on(any_redis, link, settings, clock, "sms")
    assert "Open https://platform.example/authorize" in sms.send("BOOKINGS")
    pending = sms.engine.links.take("req1")
    assert pending is not None and pending.conversation == sms.incoming().key
    customer = link.finish_authorization(pending.authorization, "V3R1F")
    told = sms.engine.connect(pending.conversation, customer)
    assert told[0].text.startswith("You're connected, Alex.")
    assert "Your bookings" in " ".join(r.text for r in told)  # what it asked before connecting
    assert sms.session.logged_in and sms.session.state == State.BOOKINGS
