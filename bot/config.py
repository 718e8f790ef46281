"""Settings read from the environment (see the README's table)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
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
    demo_data: bool | None = None
    """Load the demo into an empty built-in database; None: only when DATABASE_URL is unset."""
    pin_pepper: str | None = field(default=None, repr=False)
    """Server-side pepper(s) for PIN hashes, comma-separated, the one for new hashes first."""
    pin_hash_time_cost: int = 3
    pin_hash_memory_kib: int = 12 * 1024
    secrets_key: str | None = field(default=None, repr=False)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def on_off(name: str) -> bool | None:
            value = (get(name) or "").lower()
            if not value:
                return None
            if value in ("1", "on", "true", "yes"):
                return True
            if value in ("0", "off", "false", "no"):
                return False
            raise ValueError(f"{name} must be on or off, not {value!r}")

        def whole(name: str, default: int) -> int:
            value = get(name)
            if value is None:
                return default
            try:
                return int(value)
            except ValueError:
                raise ValueError(f"{name} must be a whole number, not {value!r}") from None

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
            demo_data=on_off("DEMO_DATA"),
            pin_pepper=get("PIN_PEPPER"),
            pin_hash_time_cost=whole("PIN_HASH_TIME_COST", defaults.pin_hash_time_cost),
            pin_hash_memory_kib=whole("PIN_HASH_MEMORY_KIB", defaults.pin_hash_memory_kib),
            secrets_key=get("SECRETS_KEY"),
        )
