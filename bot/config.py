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
    gazoop_url: str | None = None
    tracking_backend: str | None = None
    """Where TRACK comes from when not the booking backend: `foxtrot`."""
    foxtrot_url: str = "https://apiv1.foxtrotsystems.com"
    foxtrot_api_key: str | None = None
    foxtrot_dc_id: str | None = None
    foxtrot_customer_id: str = "phone"
    """The customer's Foxtrot id: `phone`, `email`, `id` (the booking platform's customer id) or a
    template of those, e.g. `cust-{phone}`."""
    foxtrot_eta_unit: str = "ms"
    """Unit of Foxtrot's epoch times (`estimated_time_of_arrival`): `ms` or `s`."""

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
            gazoop_url=(get("GAZOOP_URL") or "").rstrip("/") or None,
            tracking_backend=(get("TRACKING_BACKEND") or "").lower() or None,
            foxtrot_url=(get("FOXTROT_URL") or defaults.foxtrot_url).rstrip("/"),
            foxtrot_api_key=get("FOXTROT_API_KEY"),
            foxtrot_dc_id=get("FOXTROT_DC_ID"),
            foxtrot_customer_id=get("FOXTROT_CUSTOMER_ID") or defaults.foxtrot_customer_id,
            foxtrot_eta_unit=(get("FOXTROT_ETA_UNIT") or defaults.foxtrot_eta_unit).lower(),
        )
