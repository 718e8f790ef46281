"""The benchmark's booking database: the demo data, plus one customer per simulated chat.

An SMS conversation is keyed by the sender's number, and the sender's number is the login, so
concurrent SMS chats need as many customers; Telegram chats get them too, as chats logging in as
one customer all at once would trip its PIN lock-out. They are copies of the demo customers (same PINs,
same kinds of bookings) on Ofcom's drama numbers 07700 900200 to 900999.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from bot.backends.builtin import BuiltinBackend, demo
from bot.backends.builtin.database import make_engine, normalise_url
from bot.config import Settings

FIRST_SMS_NUMBER = 447700900200
MAX_SMS_CHATS = 800
"""447700900200 to 447700900999: numbers reserved for fiction that the bot accepts."""


@dataclasses.dataclass(frozen=True)
class Login:
    phone: str
    pin: str


TELEGRAM_LOGINS = tuple(Login(c.phone, c.pin) for c in demo.CUSTOMERS)
"""Any number of Telegram chats may log in as the same demo customer."""


def sms_login(index: int) -> Login:
    if not 0 <= index < MAX_SMS_CHATS:
        raise ValueError(f"at most {MAX_SMS_CHATS} SMS chats")
    template = demo.CUSTOMERS[index % len(demo.CUSTOMERS)]
    return Login(str(FIRST_SMS_NUMBER + index), template.pin)


def chat_login(index: int) -> Login:
    """The customer simulated chat number `index` logs in as, on either channel."""
    return sms_login(index)


def create_database(database_url: str, sms_chats: int, settings: Settings) -> None:
    """Load the demo into an empty database and add `sms_chats` SMS customers."""
    backend = BuiltinBackend(database_url, settings=settings)
    try:
        backend.ensure_demo()
    finally:
        backend.close()
    engine = make_engine(normalise_url(database_url))
    now = datetime.now(UTC)
    try:
        with engine.begin() as conn:
            for index in range(sms_chats):
                template = demo.CUSTOMERS[index % len(demo.CUSTOMERS)]
                customer = dataclasses.replace(
                    template,
                    phone=sms_login(index).phone,
                    email=f"sms-chat-{index}@example.com",
                )
                # the demo's own seeding, so these customers have the demo's kinds of bookings
                demo.seed_customer(
                    conn, customer, now, settings.tz, settings.currency, late_hours=5
                )
    finally:
        engine.dispose()
