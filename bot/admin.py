"""Operator tasks run from the CLI: register the Telegram webhook, point a Twilio number at us,
recreate the built-in store's demo data."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.config import Settings
from bot.phones import normalize_phone

if TYPE_CHECKING:
    from twilio.rest import Client

TELEGRAM_PATH = "/telegram/webhook"
TWILIO_PATH = "/twilio/sms"
ALLOWED_UPDATES = ["message", "callback_query"]
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
"""https://core.telegram.org/bots/api#setwebhook"""


def telegram_set_webhook(settings: Settings, url: str) -> str:
    """Register `url` (the app's base URL, or the full webhook URL) with the secret token."""
    token = _telegram_token(settings)
    secret = settings.telegram_webhook_secret
    if not secret or not SECRET_TOKEN.fullmatch(secret):
        raise ValueError(
            "TELEGRAM_WEBHOOK_SECRET must be set: 1-256 characters of A-Z, a-z, 0-9, _ and -"
        )
    target = with_path(url, TELEGRAM_PATH)

    async def run() -> bool:
        async with _telegram_bot(settings, token) as bot:
            return await bot.set_webhook(
                target,
                secret_token=secret,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
            )

    if not asyncio.run(run()):
        raise ValueError("Telegram refused the webhook")
    return f"Telegram webhook set to {target} (updates: {', '.join(ALLOWED_UPDATES)})"


def telegram_webhook_info(settings: Settings) -> str:
    token = _telegram_token(settings)

    async def run():
        async with _telegram_bot(settings, token) as bot:
            return await bot.get_webhook_info()

    info = asyncio.run(run())
    lines = [
        f"url: {info.url or '(none)'}",
        f"pending updates: {info.pending_update_count}",
        f"allowed updates: {', '.join(info.allowed_updates or []) or '(all but a few)'}",
    ]
    if info.last_error_message:
        lines.append(f"last error: {info.last_error_date} {info.last_error_message}")
    return "\n".join(lines)


def twilio_configure_number(
    settings: Settings, number: str, url: str, *, client: Client | None = None
) -> str:
    """Point the SMS webhook of one of the account's numbers at `url` (POST)."""
    if client is None:
        from twilio.rest import Client

        if not settings.twilio_account_sid or not settings.twilio_auth_token:
            raise ValueError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set")
        client = Client(settings.twilio_account_sid, settings.twilio_auth_token)
    digits = normalize_phone(number, settings.phone_region)
    if digits is None:
        raise ValueError(f"{number!r} is not a phone number")
    e164 = f"+{digits}"
    target = with_path(url, TWILIO_PATH)
    found = client.incoming_phone_numbers.list(phone_number=e164, limit=1)
    if not found:
        raise ValueError(f"{e164} is not a number of this Twilio account")
    # Connection overrides in the URL's fragment make Twilio retry a 503 (Redis or the
    # database briefly unusable) instead of dropping the message; Twilio signs the URL with
    # the fragment, and the webhook checks it so.
    if "#" not in target:
        target = f"{target}#{settings.twilio_connection_overrides}"
    client.incoming_phone_numbers(found[0].sid).update(sms_url=target, sms_method="POST")
    return f"{e164} now sends SMS and WhatsApp messages to {target} (POST)"


def demo_reset(settings: Settings) -> str:
    """Delete every row of the built-in store and load the demo afresh: the one explicit way to
    recreate demo data (start-up never deletes anything)."""
    from bot.backends import make_backend
    from bot.backends.protocol import BackendBusy, BackendUnavailable

    backend = make_backend(settings)
    try:
        reset = getattr(backend, "reset_demo", None)
        if reset is None:
            raise ValueError(f"BOOKING_BACKEND={backend.name} has no demo data")
        try:
            reset()
        except BackendBusy:
            raise ValueError(
                "DATABASE_URL: the database is busy (another process is writing); try again"
            ) from None
        except BackendUnavailable:
            raise ValueError("DATABASE_URL: the database is not reachable") from None
    finally:
        backend.close()
    return "Demo data created: customers 447700900123 (PIN 1234) and 15555550123 (PIN 987654)."


def with_path(url: str, path: str) -> str:
    """`url` itself when it names a path, else the app's base URL plus `path`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{url!r} is not an http(s) URL")
    if parts.path.strip("/"):
        return url
    return url.rstrip("/") + path


def _telegram_token(settings: Settings) -> str:
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN must be set")
    return settings.telegram_bot_token


def _telegram_bot(settings: Settings, token: str):
    from telegram import Bot

    # httpx logs each request URL at INFO, and a Bot API URL contains the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return Bot(token, base_url=settings.telegram_api_url + "/bot")
