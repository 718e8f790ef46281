"""Settings read from the environment (see the README's table)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Settings:
    redis_url: str | None = None
    booking_backend: str = "builtin"
    booking_api_url: str | None = None
    booking_api_key: str | None = None
    database_url: str | None = None
    telegram_bot_token: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    public_url: str | None = None
    session_ttl_seconds: int = 1800
    business_name: str = "Demo Cabs & Cleaning"
    timezone: str = "Europe/London"
    phone_region: str = "GB"
    """Region assumed for phone numbers typed without a country code."""
    late_cancel_hours: int = 24
    late_cancel_fee: str = "15.00"
    """The built-in backend's late-cancellation fee: an amount ("15.00") or a percentage ("50%")."""
    currency: str = "GBP"
    max_body_bytes: int = 64 * 1024
    car2go_url: str | None = None
    """car2go API base (https://www.car2go.com); OAuth and API paths are appended to it."""
    car2go_consumer_key: str | None = None
    car2go_consumer_secret: str | None = None
    car2go_loc: str | None = None
    """The car2go location (home city) bookings are listed and made in, e.g. "ulm"."""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        defaults = cls()
        return cls(
            redis_url=get("REDIS_URL"),
            booking_backend=(get("BOOKING_BACKEND") or defaults.booking_backend).lower(),
            booking_api_url=get("BOOKING_API_URL"),
            booking_api_key=get("BOOKING_API_KEY"),
            database_url=get("DATABASE_URL"),
            telegram_bot_token=get("TELEGRAM_BOT_TOKEN"),
            telegram_webhook_secret=get("TELEGRAM_WEBHOOK_SECRET"),
            telegram_api_url=(get("TELEGRAM_API_URL") or defaults.telegram_api_url).rstrip("/"),
            twilio_account_sid=get("TWILIO_ACCOUNT_SID"),
            twilio_auth_token=get("TWILIO_AUTH_TOKEN"),
            public_url=(get("PUBLIC_URL") or "").rstrip("/") or None,
            session_ttl_seconds=int(get("SESSION_TTL_SECONDS") or defaults.session_ttl_seconds),
            business_name=get("BUSINESS_NAME") or defaults.business_name,
            timezone=get("TIMEZONE") or defaults.timezone,
            phone_region=(get("PHONE_REGION") or defaults.phone_region).upper(),
            late_cancel_hours=int(get("LATE_CANCEL_HOURS") or defaults.late_cancel_hours),
            late_cancel_fee=get("LATE_CANCEL_FEE") or defaults.late_cancel_fee,
            currency=(get("CURRENCY") or defaults.currency).upper(),
            max_body_bytes=int(get("MAX_BODY_BYTES") or defaults.max_body_bytes),
            car2go_url=(get("CAR2GO_URL") or "").rstrip("/") or None,
            car2go_consumer_key=get("CAR2GO_CONSUMER_KEY"),
            car2go_consumer_secret=get("CAR2GO_CONSUMER_SECRET"),
            car2go_loc=(get("CAR2GO_LOC") or "").lower() or None,
        )
