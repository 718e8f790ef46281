"""What the customer reads about a tracked delivery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.backends.protocol import Tracking
from bot.backends.tracking_text import delivery_line, describe_deliveries, describe_delivery
from bot.channels.sms import is_gsm7

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 30, 13, 53, tzinfo=UTC)  # 13:53 in London (GMT)


def on_the_way(minutes: float | None, stops: int | None = 4, **kw: object) -> Tracking:
    eta = NOW + timedelta(minutes=minutes) if minutes is not None else None
    return Tracking("wp", "on the way", eta=eta, stops_ahead=stops, **kw)


@pytest.mark.parametrize(
    ("tracking", "text"),
    [
        (on_the_way(12), "Your delivery is 4 stops away, about 12 min (around 14:05)."),
        (on_the_way(11.5), "Your delivery is 4 stops away, about 12 min (around 14:04)."),
        (on_the_way(3, stops=1), "Your delivery is 1 stop away, about 3 min (around 13:56)."),
        (on_the_way(3, stops=0), "Your delivery is next, about 3 min (around 13:56)."),
        (on_the_way(97), "Your delivery is 4 stops away, about 1 h 37 min (around 15:30)."),
        (on_the_way(120), "Your delivery is 4 stops away, about 2 h (around 15:53)."),
        (on_the_way(300), "Your delivery is 4 stops away, expected at 18:53."),
        (on_the_way(60 * 20), "Your delivery is 4 stops away, expected tomorrow at 09:53."),
        (on_the_way(60 * 24 * 3), "Your delivery is 4 stops away, expected on Thu 3 Dec at 13:53."),
        (on_the_way(0.5), "Your delivery is 4 stops away, due any minute now."),
        (on_the_way(-20), "Your delivery is 4 stops away, due any minute now."),
        (on_the_way(None), "Your delivery is 4 stops away."),
        (on_the_way(None, stops=None), "Your delivery is on the way."),
    ],
)
def test_a_delivery_on_the_way_says_how_far_and_when(tracking: Tracking, text: str) -> None:
    assert describe_delivery(tracking, NOW, LONDON) == text


def test_times_are_the_business_clock() -> None:
    summer_now = datetime(2026, 7, 1, 13, 0, tzinfo=UTC)  # 14:00 BST
    tracking = Tracking("wp", "on the way", eta=summer_now + timedelta(minutes=5), stops_ahead=2)
    assert describe_delivery(tracking, summer_now, LONDON).endswith("(around 14:05).")


@pytest.mark.parametrize(
    ("completed", "text"),
    [
        (NOW - timedelta(minutes=1), "Your delivery was completed at 13:52."),
        (NOW - timedelta(hours=20), "Your delivery was completed yesterday at 17:53."),
        (NOW - timedelta(days=7), "Your delivery was completed on Mon 23 Nov at 13:53."),
    ],
)
def test_a_completed_delivery_says_when(completed: datetime, text: str) -> None:
    tracking = Tracking("wp", "delivered", completed_at=completed)
    assert describe_delivery(tracking, NOW, LONDON) == text


def test_finished_without_a_time() -> None:
    assert describe_delivery(Tracking("wp", "delivered"), NOW, LONDON) == (
        "Your delivery has been completed."
    )
    assert describe_delivery(Tracking("wp", "not delivered"), NOW, LONDON) == (
        "Your delivery could not be made. Please get in touch to arrange another."
    )


def test_a_location_foxtrot_is_not_sure_of_is_said_kindly() -> None:
    text = describe_delivery(on_the_way(12, location_confident=False), NOW, LONDON)
    assert text == (
        "Your delivery is 4 stops away, about 12 min (around 14:05). We're not yet sure of your"
        " exact location, so the driver may call you."
    )
    assert "sure" not in describe_delivery(on_the_way(12, location_confident=True), NOW, LONDON)


def test_several_deliveries_say_which_is_which() -> None:
    trackings = [
        on_the_way(12, description="Delivery to 12 High Street"),
        Tracking(
            "wp2",
            "delivered",
            completed_at=NOW - timedelta(minutes=30),
            description="Delivery to 3 Mill Lane",
        ),
    ]
    assert describe_deliveries(trackings, NOW, LONDON) == (
        "Delivery to 12 High Street: your delivery is 4 stops away, about 12 min (around 14:05).\n"
        "Delivery to 3 Mill Lane: your delivery was completed at 13:23."
    )
    assert describe_deliveries(trackings[:1], NOW, LONDON) == (
        "Your delivery is 4 stops away, about 12 min (around 14:05)."
    )


def test_every_text_fits_sms_without_switching_to_ucs2() -> None:
    texts = [
        describe_delivery(t, NOW, LONDON)
        for t in (
            on_the_way(12, location_confident=False),
            on_the_way(60 * 24 * 3),
            Tracking("wp", "delivered", completed_at=NOW - timedelta(days=3)),
        )
    ]
    assert all(is_gsm7(text) and len(text) <= 160 for text in texts)


@pytest.mark.parametrize(
    ("tracking", "line"),
    [
        (on_the_way(12), "On the way, 4 stops away, around 14:05"),
        (on_the_way(3, stops=0), "On the way, next stop, around 13:56"),
        (on_the_way(60 * 20), "On the way, 4 stops away, tomorrow at 09:53"),
        (on_the_way(None, stops=None), "On the way"),
        (
            Tracking("wp", "delivered", completed_at=NOW - timedelta(hours=20)),
            "Delivered yesterday at 17:53",
        ),
        (Tracking("wp", "not delivered"), "Not delivered"),
    ],
)
def test_a_delivery_in_a_list_is_one_short_line(tracking: Tracking, line: str) -> None:
    assert delivery_line(tracking, NOW, LONDON) == line
