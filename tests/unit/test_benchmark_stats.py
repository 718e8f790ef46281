"""The benchmark's pure figures: percentiles, SMS segment accounting, Redis and Bot API counters."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from benchmarks.stats import (
    DriveResult,
    Latency,
    SegmentTally,
    command_calls,
    command_delta,
    counter_delta,
    figures,
    monitor_line_command,
    percentile,
    script_calls,
)


def test_percentile_interpolates_between_ranks():
    values = [40.0, 10.0, 30.0, 20.0]  # unsorted on purpose
    assert percentile(values, 0) == 10.0
    assert percentile(values, 100) == 40.0
    assert percentile(values, 50) == 25.0
    assert percentile(values, 95) == pytest.approx(38.5)


def test_percentile_of_one_value_and_of_none():
    assert percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_latency_summary():
    latency = Latency.of([float(n) for n in range(1, 101)])
    assert latency.count == 100
    assert latency.p50 == pytest.approx(50.5)
    assert latency.p95 == pytest.approx(95.05)
    assert latency.p99 == pytest.approx(99.01)
    assert latency.mean == pytest.approx(50.5)
    assert latency.max == 100.0
    assert Latency.of([]).count == 0
    assert math.isnan(Latency.of([]).p50)


def test_segments_per_reply_and_per_completed_journey():
    tally = SegmentTally()
    assert tally.add_reply("a" * 160) == 1
    assert tally.add_reply("a" * 161) == 2  # 153 per part once split
    assert tally.add_reply("{" * 81) == 2  # extension characters count twice
    tally.end_journey()
    assert tally.add_reply("short") == 1
    tally.end_journey(completed=False)  # an aborted journey counts its replies, not a journey
    assert tally.add_reply("a" * 307) == 3
    tally.end_journey()

    assert tally.replies == 5
    assert tally.max_per_reply == 3
    assert tally.mean_per_reply == pytest.approx(9 / 5)
    assert (tally.journeys, tally.max_per_journey) == (2, 5)
    assert tally.mean_per_journey == pytest.approx((5 + 3) / 2)
    assert tally.all_gsm7


def test_a_reply_outside_gsm7_is_counted_and_billed_as_ucs2():
    tally = SegmentTally()
    assert tally.add_reply("Booked ✓ " + "a" * 70) == 2  # 79 UCS-2 units: 67 per part
    assert tally.non_gsm7_replies == 1
    assert not tally.all_gsm7
    assert tally.summary()["all_gsm7"] is False


def test_an_empty_reply_costs_no_segment():
    tally = SegmentTally()
    assert tally.add_reply("") == 0
    assert tally.replies == 1
    assert tally.all_gsm7


def test_tallies_of_several_chats_merge():
    one, two = SegmentTally(), SegmentTally()
    one.add_reply("a" * 200)
    one.end_journey()
    two.add_reply("b")
    two.add_reply("“curly”")
    two.end_journey()
    merged = one.merge(two)
    assert (merged.replies, merged.segments, merged.max_per_reply) == (3, 4, 2)
    assert (merged.journeys, merged.journey_segments, merged.max_per_journey) == (2, 4, 2)
    assert merged.non_gsm7_replies == 1


def test_no_replies_gives_nan_means_not_zero():
    tally = SegmentTally()
    assert math.isnan(tally.mean_per_reply)
    assert math.isnan(tally.mean_per_journey)


def test_command_delta_leaves_out_the_harness_and_unchanged_commands():
    before = {
        "cmdstat_get": {"calls": 10, "usec": 5},
        "cmdstat_info": {"calls": 3},
        "cmdstat_ping": {"calls": 4},
    }
    after = {
        "cmdstat_get": {"calls": 25},
        "cmdstat_info": {"calls": 5},
        "cmdstat_ping": {"calls": 4},
        "cmdstat_evalsha": {"calls": 6},
        "cmdstat_client|setinfo": {"calls": 2},
        "cmdstat_flushdb": {"calls": 1},
    }
    delta = command_delta(before, after)
    assert delta == Counter({"get": 15, "evalsha": 6, "client|setinfo": 2})
    assert script_calls(delta) == 6
    assert script_calls({"eval": 1, "evalsha": 2, "get": 9}) == 3


def test_command_calls_accepts_names_without_prefix():
    assert command_calls({"GET": {"calls": "3"}, "cmdstat_get": {"calls": 1}}) == {"get": 4}


def test_monitor_lines():
    assert monitor_line_command(b'+1700000000.123456 [0 127.0.0.1:5000] "evalsha" "ab" "3"') == (
        "evalsha",
        False,
    )
    assert monitor_line_command(b'+1700000000.123457 [0 lua] "GET" "bb:{sms:1}:lock"') == (
        "get",
        True,
    )
    assert monitor_line_command(b'+1700000000.1 [15 unix:/tmp/redis.sock] "MGET" "a"') == (
        "mget",
        False,
    )
    assert monitor_line_command(b"+OK") is None
    assert monitor_line_command(b"") is None


def test_counter_delta_keeps_only_growth():
    before = {"deleteMessage": 2, "answerCallbackQuery": 5}
    after = {"deleteMessage": 5, "answerCallbackQuery": 5, "sendMessage": 1}
    assert counter_delta(before, after) == {"deleteMessage": 3, "sendMessage": 1}


def test_figures_per_message():
    result = DriveResult("sms", chats=2, elapsed_s=4.0, messages=8)
    result.latencies_ms = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0]
    result.latencies_by_step_ms = {"pin": [70.0], "hi": [10.0, 20.0]}
    result.errors = Counter({"detail: HTTP 500": 1})
    result.journeys = 1
    result.sms.add_reply("a" * 170)
    result.sms.end_journey()
    fig = figures(
        result,
        redis_delta={"evalsha": 16, "get": 24, "mget": 1},
        redis_sent={"evalsha": 16, "mget": 1},
        bot_api_delta={},
    )
    assert fig.messages_per_s == 2.0
    assert fig.errors == 1
    assert fig.redis_commands_per_message == pytest.approx(41 / 8)
    assert fig.redis_sent_per_message == pytest.approx(17 / 8)
    assert fig.redis_scripts_per_message == 2.0
    assert fig.bot_api_calls_per_message == 0.0
    assert fig.latency_ms.p50 == 40.0
    assert fig.latency_by_step_ms["hi"].p50 == 15.0
    assert fig.sms is not None
    assert fig.sms["segments_per_reply_max"] == 2
    assert fig.sms["segments_per_journey_mean"] == 2.0


def test_figures_of_a_run_without_messages_are_nan():
    fig = figures(DriveResult("telegram", chats=1), {}, {}, {})
    assert fig.sms is None
    assert math.isnan(fig.messages_per_s)
    assert math.isnan(fig.redis_commands_per_message)
    assert math.isnan(fig.latency_ms.p99)


def test_server_cpu_per_message_and_the_run_label():
    result = DriveResult("telegram", chats=10, elapsed_s=3.0, messages=1500)
    fig = figures(
        result, {}, {}, {}, server_cpu_ms=3000.0, app="floor", journey="hot", round_number=2
    )
    assert fig.server_cpu_ms_per_message == 2.0
    assert (fig.app, fig.journey, fig.round) == ("floor", "hot", 2)
    assert math.isnan(figures(result, {}, {}, {}).server_cpu_ms_per_message)
