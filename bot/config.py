"""Settings read from the environment (see the README's table)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DATABASE_SCHEMES = ("sqlite", "postgres", "postgresql")
"""What the built-in backend can use (Heroku's `postgres://` included)."""
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TWILIO_CONNECTION_OVERRIDES = "ct=2000&rt=12000&tt=15000&rc=3&rp=all"
"""Connect and read timeouts, total time, retry count and policy (every failure, a 503
included) that `twilio configure-number` puts in the webhook URL's fragment.
https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides"""


DEFAULT_WEB_THREADS = 32
"""Threads per worker process when WEB_THREADS is unset: the Procfile's `${WEB_THREADS:-…}`."""


def web_threads(env: Mapping[str, str] | None = None) -> int:
    """Threads per server process (WEB_THREADS, as the Procfile passes to the server).

    Every pool a thread waits on is sized from it: Redis, the built-in backend's database and
    each platform's HTTP client, so a thread never waits for a connection another thread holds
    while it waits for a slow platform.
    """
    value = (os.environ if env is None else env).get("WEB_THREADS", "").strip()
    try:
        return max(1, int(value)) if value else DEFAULT_WEB_THREADS
    except ValueError:
        raise ValueError(f"WEB_THREADS must be a whole number, not {value!r}") from None


@dataclass(frozen=True)
class Settings:
    redis_url: str | None = None
    redis_cluster: bool = False
    """REDIS_URL names one node of a Redis Cluster (REDIS_CLUSTER=on): the client finds the rest."""
    booking_backend: str = "builtin"
    booking_api_url: str | None = None
    booking_api_key: str | None = field(default=None, repr=False)
    database_url: str | None = None
    telegram_bot_token: str | None = field(default=None, repr=False)
    telegram_webhook_secret: str | None = field(default=None, repr=False)
    telegram_api_url: str = "https://api.telegram.org"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = field(default=None, repr=False)
    twilio_api_url: str | None = None
    """Twilio's REST API base for messages sent outside a webhook's answer (unset: Twilio's own,
    https://api.twilio.com; tests point it at a local server)."""
    public_url: str | None = None
    log_level: str = "INFO"
    web_concurrency: int = 1
    """Worker processes the Procfile starts (WEB_CONCURRENCY); more than one needs REDIS_URL."""
    twilio_connection_overrides: str = TWILIO_CONNECTION_OVERRIDES
    session_ttl_seconds: int = 1800
    bookings_keep_seconds: int = 30
    """How long a booking list read from the backend may be shown again from the session (0:
    never). The bot's own creates and cancels drop it at once; this bounds changes made
    elsewhere."""
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
    launch27_url: str | None = None
    """The business's Launch27 subdomain, e.g. https://acme.launch27.com."""
    launch27_api_key: str | None = field(default=None, repr=False)
    launch27_api: str = "customer"
    """`customer` (the current API: email + password, bearer) or `legacy` (API 2.0)."""
    gazoop_url: str | None = None
    tracking_backend: str | None = None
    """Where TRACK comes from when not the booking backend: `foxtrot`."""
    foxtrot_url: str = "https://apiv1.foxtrotsystems.com"
    foxtrot_api_key: str | None = field(default=None, repr=False)
    foxtrot_dc_id: str | None = None
    foxtrot_customer_id: str = "phone"
    """The customer's Foxtrot id: `phone`, `email`, `id` (the booking platform's customer id) or a
    template of those, e.g. `cust-{phone}`."""
    foxtrot_eta_unit: str = "ms"
    """Unit of Foxtrot's epoch times (`estimated_time_of_arrival`): `ms` or `s`."""
    car2go_url: str | None = None
    """car2go API base (https://www.car2go.com); OAuth and API paths are appended to it."""
    car2go_consumer_key: str | None = None
    car2go_consumer_secret: str | None = field(default=None, repr=False)
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

        def on_off(name: str) -> bool | None:
            value = (get(name) or "").lower()
            if not value:
                return None
            if value in ("1", "on", "true", "yes"):
                return True
            if value in ("0", "off", "false", "no"):
                return False
            raise ValueError(f"{name} must be on or off, not {value!r}")

        defaults = cls()

        def number(name: str, default: int) -> int:
            value = get(name)
            if value is None:
                return default
            try:
                return int(value)
            except ValueError:
                raise ValueError(f"{name} must be a whole number, not {value!r}") from None

        timezone = get("TIMEZONE") or defaults.timezone
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"TIMEZONE {timezone!r} is not a known time zone (e.g. Europe/London)"
            ) from None
        database_url = get("DATABASE_URL")
        if database_url is not None:
            scheme = database_url.split("://", 1)[0].split("+", 1)[0].lower()
            if "://" not in database_url or scheme not in DATABASE_SCHEMES:
                given = f", not {scheme}://…" if "://" in database_url else ""
                raise ValueError(f"DATABASE_URL must be a sqlite:// or postgresql:// URL{given}")
        redis_cluster = bool(on_off("REDIS_CLUSTER"))
        if redis_cluster:
            check_cluster_url(get("REDIS_URL"))
        log_level = (get("LOG_LEVEL") or defaults.log_level).upper()
        if log_level not in LOG_LEVELS:
            raise ValueError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {log_level!r}")
        return cls(
            redis_url=get("REDIS_URL"),
            redis_cluster=redis_cluster,
            booking_backend=(get("BOOKING_BACKEND") or defaults.booking_backend).lower(),
            booking_api_url=get("BOOKING_API_URL"),
            booking_api_key=get("BOOKING_API_KEY"),
            database_url=database_url,
            telegram_bot_token=get("TELEGRAM_BOT_TOKEN"),
            telegram_webhook_secret=get("TELEGRAM_WEBHOOK_SECRET"),
            telegram_api_url=(get("TELEGRAM_API_URL") or defaults.telegram_api_url).rstrip("/"),
            twilio_account_sid=get("TWILIO_ACCOUNT_SID"),
            twilio_auth_token=get("TWILIO_AUTH_TOKEN"),
            twilio_api_url=(get("TWILIO_API_URL") or "").rstrip("/") or None,
            public_url=(get("PUBLIC_URL") or "").rstrip("/") or None,
            log_level=log_level,
            web_concurrency=number("WEB_CONCURRENCY", defaults.web_concurrency),
            twilio_connection_overrides=get("TWILIO_CONNECTION_OVERRIDES")
            or defaults.twilio_connection_overrides,
            session_ttl_seconds=number("SESSION_TTL_SECONDS", defaults.session_ttl_seconds),
            bookings_keep_seconds=number("BOOKINGS_KEEP_SECONDS", defaults.bookings_keep_seconds),
            business_name=get("BUSINESS_NAME") or defaults.business_name,
            timezone=timezone,
            phone_region=(get("PHONE_REGION") or defaults.phone_region).upper(),
            late_cancel_hours=number("LATE_CANCEL_HOURS", defaults.late_cancel_hours),
            late_cancel_fee=get("LATE_CANCEL_FEE") or defaults.late_cancel_fee,
            currency=(get("CURRENCY") or defaults.currency).upper(),
            max_body_bytes=number("MAX_BODY_BYTES", defaults.max_body_bytes),
            demo_data=on_off("DEMO_DATA"),
            pin_pepper=get("PIN_PEPPER"),
            pin_hash_time_cost=number("PIN_HASH_TIME_COST", defaults.pin_hash_time_cost),
            pin_hash_memory_kib=number("PIN_HASH_MEMORY_KIB", defaults.pin_hash_memory_kib),
            secrets_key=get("SECRETS_KEY"),
            launch27_url=(get("LAUNCH27_URL") or "").rstrip("/") or None,
            launch27_api_key=get("LAUNCH27_API_KEY"),
            launch27_api=(get("LAUNCH27_API") or defaults.launch27_api).lower(),
            gazoop_url=(get("GAZOOP_URL") or "").rstrip("/") or None,
            tracking_backend=(get("TRACKING_BACKEND") or "").lower() or None,
            foxtrot_url=(get("FOXTROT_URL") or defaults.foxtrot_url).rstrip("/"),
            foxtrot_api_key=get("FOXTROT_API_KEY"),
            foxtrot_dc_id=get("FOXTROT_DC_ID"),
            foxtrot_customer_id=get("FOXTROT_CUSTOMER_ID") or defaults.foxtrot_customer_id,
            foxtrot_eta_unit=(get("FOXTROT_ETA_UNIT") or defaults.foxtrot_eta_unit).lower(),
            car2go_url=(get("CAR2GO_URL") or "").rstrip("/") or None,
            car2go_consumer_key=get("CAR2GO_CONSUMER_KEY"),
            car2go_consumer_secret=get("CAR2GO_CONSUMER_SECRET"),
            car2go_loc=(get("CAR2GO_LOC") or "").lower() or None,
        )


def check_cluster_url(url: str | None) -> None:
    """What REDIS_CLUSTER=on needs of REDIS_URL: a TCP node and database 0 (a cluster has no other)."""
    if not url:
        raise ValueError("REDIS_CLUSTER=on needs REDIS_URL: any one node of the cluster")
    scheme, _, rest = url.partition("://")
    if scheme.lower() not in ("redis", "rediss"):
        raise ValueError(
            "REDIS_URL must be a redis:// or rediss:// URL of one cluster node with REDIS_CLUSTER=on"
        )
    path = rest.split("?", 1)[0].partition("/")[2].strip("/")
    if path not in ("", "0"):
        raise ValueError(
            f"REDIS_URL names database {path!r}: with REDIS_CLUSTER=on only database 0 exists"
        )
