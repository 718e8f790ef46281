"""Logging in by SMS and Telegram, wrong PINs, lock-out, expiry, and the words that work everywhere."""

from __future__ import annotations

import logging

import pytest

from bot.conversation.states import State
from tests.fakes.chat import DEMO_PHONE, OTHER_PHONE, OTHER_PIN

WRONG = "That number and PIN don't match our records."


def test_sms_sender_number_is_the_identity_so_the_bot_asks_for_the_pin(chat) -> None:
    sms = chat("sms")
    assert "reply with your PIN" in sms.send("hi")
    assert sms.session.state == State.ASK_PIN
    assert sms.session.identity == DEMO_PHONE


def test_sms_wrong_pin_then_right_pin_shows_the_menu(chat) -> None:
    sms = chat("sms")
    sms.send("hi")
    assert WRONG in sms.send("0000")
    answer = sms.send("1234")
    assert "Hi Alex, you're logged in." in answer
    assert "1 My bookings" in answer
    session = sms.session
    assert session.state == State.MENU
    assert session.customer["phone"] == DEMO_PHONE
    assert session.identity is None


def test_telegram_asks_for_the_number_with_a_share_button_then_the_pin(chat) -> None:
    tg = chat("telegram")
    tg.send("/start")
    assert tg.replies[0].request_phone
    assert tg.session.state == State.ASK_IDENTITY
    assert "Now send your PIN" in tg.send("+44 7700 900123")
    assert tg.session.identity == DEMO_PHONE
    tg.send("1234")
    assert tg.replies[0].delete_incoming, "the message carrying the PIN is deleted"
    assert tg.session.state == State.MENU


def test_telegram_shared_own_contact_is_accepted_as_the_number(chat) -> None:
    tg = chat("telegram")
    tg.send("/start")
    assert "Now send your PIN" in tg.send(phone="+447700900123")
    assert tg.session.identity == DEMO_PHONE


def test_telegram_rejects_text_that_is_not_a_phone_number(chat) -> None:
    tg = chat("telegram")
    tg.send("/start")
    assert "doesn't look like a phone number" in tg.send("my number is secret")
    assert tg.session.state == State.ASK_IDENTITY


def test_every_reply_to_a_possible_pin_asks_telegram_to_delete_it(chat) -> None:
    tg = chat("telegram")
    tg.send("/start")
    tg.send(DEMO_PHONE)
    for attempt in ("0000", "12ab", "1234"):
        tg.send(attempt)
        assert tg.replies[0].delete_incoming


def test_unknown_number_and_wrong_pin_get_the_same_answer(chat) -> None:
    known = chat("telegram", conversation="1")
    known.send("/start")
    known.send(DEMO_PHONE)
    unknown = chat("telegram", conversation="2")
    unknown.send("/start")
    unknown.send("+44 7700 900999")
    assert known.send("0000") == unknown.send("1234")


@pytest.mark.parametrize("pin", ["12ab", "123", "1234567890123", "12 34 ab"])
def test_malformed_pins_are_explained_and_not_counted(chat, pin: str) -> None:
    sms = chat("sms")
    sms.send("hi")
    for _ in range(6):
        assert "A PIN is 4 to 12 digits" in sms.send(pin)
    assert "Hi Alex" in sms.send("1234")


def test_five_wrong_pins_lock_the_number_for_fifteen_minutes(chat, clock) -> None:
    sms = chat("sms")
    sms.send("hi")
    for _ in range(4):
        assert WRONG in sms.send("0000")
    assert "Too many wrong PINs" in sms.send("0000")
    assert "Too many wrong PINs" in sms.send("1234"), "the right PIN is refused while locked"
    assert not sms.session.logged_in
    clock.advance(minutes=14)
    assert "Too many wrong PINs" in sms.send("1234")
    clock.advance(minutes=2)
    assert "Hi Alex" in sms.send("1234")


def test_the_lock_is_per_number_across_conversations(chat) -> None:
    first = chat("telegram", conversation="1")
    first.send("/start")
    first.send(DEMO_PHONE)
    for _ in range(5):
        first.send("0000")
    second = chat("telegram", conversation="2")
    second.send("/start")
    second.send(DEMO_PHONE)
    assert "Too many wrong PINs" in second.send("1234")


def test_one_conversation_guessing_across_numbers_is_locked(chat) -> None:
    tg = chat("telegram")
    tg.send("/start")
    for n in range(5):
        tg.send(f"+44 7700 90099{n}")
        tg.send("0000")
        tg.send("LOGOUT")
        tg.send("/start")
    tg.send(OTHER_PHONE)
    assert "Too many wrong PINs" in tg.send(OTHER_PIN)


def test_idle_session_expires_and_asks_to_log_in_again(chat, clock) -> None:
    sms = chat("sms")
    sms.login()
    clock.advance(minutes=29)
    assert "#" in sms.send("BOOKINGS")
    clock.advance(minutes=31)
    answer = sms.send("BOOKINGS")
    assert "Your session timed out, so please log in again." in answer
    assert "reply with your PIN" in answer
    assert not sms.session.logged_in


def test_logged_in_commands_before_login_lead_back_to_logging_in(chat) -> None:
    tg = chat("telegram")
    tg.send("/start")
    assert "Please log in first" in tg.send("BOOKINGS")
    tg.send(DEMO_PHONE)
    assert "Please log in first. Send your PIN" in tg.send("CANCEL 2")
    assert tg.session.state == State.ASK_PIN


def test_logout_forgets_the_customer(chat) -> None:
    sms = chat("sms")
    sms.login()
    assert "You're logged out. Goodbye!" in sms.send("logout")
    assert not sms.session.logged_in
    assert sms.session.state == State.START


def test_no_pin_is_logged_or_stored(chat, caplog, any_redis) -> None:
    caplog.set_level(logging.DEBUG)
    sms = chat("sms", phone=OTHER_PHONE)
    sms.send("hi")
    sms.send("000000")
    sms.send(OTHER_PIN)
    sms.send("BOOKINGS")
    sms.send("LOGOUT")
    assert caplog.records, "the conversation logs something, so the scan means something"
    for record in caplog.records:
        assert OTHER_PIN not in record.getMessage()
    for key in any_redis.scan_iter("*"):
        value = any_redis.dump(key) or b""
        assert OTHER_PIN.encode() not in value, key


def test_telegram_number_as_the_very_first_message_is_taken(chat) -> None:
    tg = chat("telegram")
    assert "Now send your PIN" in tg.send("447700900123")
    assert "Hi Alex, you're logged in." in tg.send("1234")


def test_telegram_greeting_first_then_the_number(chat) -> None:
    tg = chat("telegram")
    assert "send your phone number" in tg.send("hello there")
    assert tg.session.state == State.ASK_IDENTITY
