"""A customer's journey on Gazoop with TRACK from Foxtrot, through the Procfile's server with
BOOKING_BACKEND=gazoop and TRACKING_BACKEND=foxtrot against the local Gazoop and Foxtrot servers,
on SMS and Telegram: log in with phone and PIN → the last 25 rides, their years inferred across a
year end → paging past the end says only the last 25 can be shown; TRACK → stops and ETA, a
completed delivery says when, a location Foxtrot is not sure of (7001), no deliveries (403).

The server runs on the real clock: rides and deliveries are made relative to now."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis

from tests.fakes.foxtrot_server import FakeFoxtrot, waypoint
from tests.fakes.gazoop_server import FakeGazoop, rides
from tests.fakes.procfile_server import ServedBot, served_bot
from tests.fakes.updates import TelegramUser

pytestmark = pytest.mark.e2e

DB = int(os.environ.get("REDIS_TRACK_E2E_DB", "13"))
"""A database of its own: the server's keys ("bb:") are deleted from it afterwards."""
LONDON = ZoneInfo("Europe/London")
KEY, DC = "fox-e2e-key", "Foxtrot-DC"
PIN = "2468"
NOTE = "Only your last 25 bookings can be shown."
NOT_SURE = "We're not yet sure of your exact location, so the driver may call you."
LINE = re.compile(r"#(\d+)\b.*?\b([A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} \d\d:\d\d)")
"""A booking reference and its day and time, as a list line (SMS) or button (Telegram) has them."""


@dataclass
class Journey:
    bot: ServedBot
    gazoop: FakeGazoop
    foxtrot: FakeFoxtrot


@pytest.fixture(scope="module")
def journey(real_redis_server: redis.Redis, tmp_path_factory) -> Iterator[Journey]:
    kwargs = real_redis_server.connection_pool.connection_kwargs
    redis_url = f"redis://{kwargs.get('host', '127.0.0.1')}:{kwargs.get('port', 6379)}/{DB}"
    settings = {
        "REDIS_URL": redis_url,
        "TIMEZONE": "Europe/London",
        "BOOKING_BACKEND": "gazoop",
        "TRACKING_BACKEND": "foxtrot",
        "FOXTROT_API_KEY": KEY,
        "FOXTROT_DC_ID": DC,
        "FOXTROT_CUSTOMER_ID": "phone",
        "FOXTROT_ETA_UNIT": "ms",
    }
    log = tmp_path_factory.mktemp("gazoop") / "server.log"
    client = redis.Redis.from_url(redis_url)
    try:
        with FakeGazoop().running() as gazoop, FakeFoxtrot(KEY, DC).running() as foxtrot:
            settings |= {"GAZOOP_URL": gazoop.url, "FOXTROT_URL": foxtrot.url}
            with served_bot(settings, log) as bot:
                yield Journey(bot, gazoop, foxtrot)
    finally:
        for key in client.scan_iter(match="bb:*", count=500):
            client.delete(key)
        client.close()


# --- Gazoop: the last 25 rides ---------------------------------------------------------------------


def across_a_year_end(journey: Journey, phone: str) -> dict[str, str]:
    """27 daily rides, the newest 25 of which (what Gazoop answers) straddle a 1st of January.
    Returns their ids -> day and time as listed (the weekday shows the inferred year).

    A yearless time is read as the latest such date at most 60 days ahead, so rides must lie
    within the year before that: the one 1st of January in that year is the one straddled, on
    every day but the two or three when it is at that year's very edge (around 1st November:
    then tests/unit/test_gazoop_times.py alone covers year ends)."""
    now = datetime.now(LONDON).replace(tzinfo=None)
    low, high = now - timedelta(days=304.5), now + timedelta(days=59.5)
    new_year = datetime(now.year + 1, 1, 1, 9, 30)
    if new_year > high:
        new_year = new_year.replace(year=now.year)
    earliest, latest = half_past_nine(low + timedelta(days=24), 1), half_past_nine(high, -1)
    newest = min(max(new_year + timedelta(days=10), earliest), latest)
    journey.gazoop.add_account(phone, PIN, rides(newest, 27, timedelta(days=1)))
    listed = [newest - timedelta(days=n) for n in range(25)]
    edge_of_the_window = datetime(new_year.year - 1, 12, 31, 9, 30) < low
    assert len({local.year for local in listed}) == 2 or edge_of_the_window
    return {
        str(900027 - n): f"{local:%a} {local.day} {local:%b %H:%M}"
        for n, local in enumerate(listed)
    }


def half_past_nine(moment: datetime, direction: int) -> datetime:
    """09:30 on the day of `moment`, or on the next (direction 1) or day before (-1) to stay on
    that side of it."""
    day = moment.replace(hour=9, minute=30, second=0, microsecond=0)
    return day if (day - moment) * direction >= timedelta(0) else day + timedelta(days=direction)


def listed(texts: list[str]) -> dict[str, str]:
    return {m[1]: m[2] for text in texts for line in text.splitlines() if (m := LINE.search(line))}


def test_sms_last_25_rides_with_their_years_then_past_the_end(journey: Journey) -> None:
    phone = "447700900601"
    expected = across_a_year_end(journey, phone)
    sender = f"+{phone}"
    assert "PIN" in journey.bot.sms(sender, "hi")
    assert "You're logged in" in journey.bot.sms(sender, PIN)
    pages = [journey.bot.sms(sender, "BOOKINGS")]
    while not pages[-1].startswith(NOTE):
        assert len(pages) < 10, pages
        pages.append(journey.bot.sms(sender, "MORE"))
    assert all(page.startswith("Your bookings") for page in pages[:-1])
    assert listed(pages[:-1]) == expected
    assert pages[-1].splitlines()[1].startswith("Your bookings")  # from the top again


def with_buttons(reply: dict[str, Any]) -> str:
    rows = reply.get("reply_markup", {}).get("inline_keyboard", [])
    return "\n".join([reply["text"], *(b["text"] for row in rows for b in row)])


def button(reply: dict[str, Any], label: str) -> str:
    """The data of the button for the option whose line holds `label` (long options are
    numbered lines of the text, their buttons the numbers)."""
    rows = reply.get("reply_markup", {}).get("inline_keyboard", [])
    numbered = dict(re.findall(r"^(\d+)\. (.*)$", reply["text"], re.MULTILINE))
    for b in (b for row in rows for b in row):
        if label in b["text"] or label in numbered.get(b["text"], ""):
            return b["callback_data"]
    raise AssertionError(f"no button {label!r} in {reply!r}")


def log_in_on_telegram(journey: Journey, user: TelegramUser, phone: str) -> None:
    assert "phone" in journey.bot.telegram(user.text("/start"))["text"].lower()
    assert "PIN" in journey.bot.telegram(user.text(f"+{phone}"))["text"]
    assert "You're logged in" in journey.bot.telegram(user.text(PIN))["text"]


def test_telegram_last_25_rides_with_their_years_then_past_the_end(journey: Journey) -> None:
    phone = "447700900602"
    expected = across_a_year_end(journey, phone)
    user = TelegramUser(user_id=16001, start=1601)
    log_in_on_telegram(journey, user, phone)
    pages = [with_buttons(journey.bot.telegram(user.text("/bookings")))]
    while not pages[-1].startswith(NOTE):
        assert len(pages) < 10, pages
        pages.append(with_buttons(journey.bot.telegram(user.text("MORE"))))
    assert all(page.startswith("Your bookings") for page in pages[:-1])
    assert listed(pages[:-1]) == expected


# --- Foxtrot: TRACK ------------------------------------------------------------------------------


def at(moment: datetime) -> str:
    return f"{moment.astimezone(LONDON):%H:%M}"


def test_sms_track_says_stops_and_eta_then_an_unsure_location_then_none(
    journey: Journey,
) -> None:
    phone = "447700900611"
    journey.gazoop.add_account(phone, PIN)
    eta = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=12)
    customer = journey.foxtrot.add_customer(phone, waypoint("wp-1", phone, eta=eta, ahead=4))
    sender = f"+{phone}"
    journey.bot.sms(sender, "hi")
    journey.bot.sms(sender, PIN)
    tracked = journey.bot.sms(sender, "TRACK")
    assert tracked.startswith(f"Your delivery is 4 stops away, about 12 min (around {at(eta)}).")
    customer.location_confident = False
    assert NOT_SURE in journey.bot.sms(sender, "TRACK")
    journey.foxtrot.force_status = 403
    try:
        assert journey.bot.sms(sender, "TRACK").startswith("No deliveries found for you.")
    finally:
        journey.foxtrot.force_status = None


def test_telegram_track_lists_deliveries_and_says_when_one_was_completed(
    journey: Journey,
) -> None:
    phone = "447700900612"
    journey.gazoop.add_account(phone, PIN)
    now = datetime.now(UTC).replace(microsecond=0)
    eta, done = now + timedelta(minutes=30), now - timedelta(hours=1)
    customer = journey.foxtrot.add_customer(
        phone,
        waypoint("wp-done", phone, completed=done),
        waypoint("wp-next", phone, eta=eta, ahead=6),
    )
    user = TelegramUser(user_id=16002, start=1602)
    log_in_on_telegram(journey, user, phone)
    deliveries = journey.bot.telegram(user.text("/track"))
    assert with_buttons(deliveries).splitlines()[:2] == [
        "Your deliveries, soonest first:",
        f"1. On the way, 6 stops away, around {at(eta)}",
    ]
    completed = journey.bot.telegram(user.press(button(deliveries, "Delivered")))
    same_day = done.astimezone(LONDON).date() == now.astimezone(LONDON).date()
    when = f"at {at(done)}" if same_day else f"yesterday at {at(done)}"
    assert completed["text"] == f"Your delivery was completed {when}."
    customer.location_confident = False
    deliveries = journey.bot.telegram(user.text("/track"))
    on_the_way = journey.bot.telegram(user.press(button(deliveries, "On the way")))
    assert on_the_way["text"] == (
        f"Your delivery is 6 stops away, about 30 min (around {at(eta)}). {NOT_SURE}"
    )
    journey.foxtrot.force_status = 403
    try:
        none = journey.bot.telegram(user.text("/track"))
        assert none["text"].startswith("No deliveries found for you.")
    finally:
        journey.foxtrot.force_status = None
