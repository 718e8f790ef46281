"""`booking-bot serve` says at start when no channel would answer a customer."""

from __future__ import annotations

from bot.cli import channels_notice
from bot.config import Settings


def test_serve_without_a_channel_names_what_to_set() -> None:
    notice = channels_notice(Settings())
    assert notice is not None
    assert "TELEGRAM_BOT_TOKEN" in notice and "TWILIO_AUTH_TOKEN" in notice


def test_serve_with_a_channel_says_nothing() -> None:
    assert channels_notice(Settings(telegram_bot_token="123:abc")) is None
    assert channels_notice(Settings(twilio_auth_token="token")) is None
