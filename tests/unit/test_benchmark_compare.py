"""The bot against the floor: medians over rounds, ratios, and figures that have no ratio."""

from __future__ import annotations

import math

import pytest

from benchmarks.compare import compare, median, ratio
from benchmarks.stats import DriveResult, figures


def run(app: str, round_number: int, *, messages: int, cpu_ms: float, errors: int = 0, **kw):
    result = DriveResult(kw.get("channel", "telegram"), kw.get("chats", 10), elapsed_s=2.0)
    result.messages = messages
    result.latencies_ms = kw.get("latencies", [10.0, 20.0, 30.0])
    if errors:
        result.errors["list: HTTP 503"] = errors
    return figures(
        result,
        redis_delta={"evalsha": 2 * messages},
        redis_sent={"evalsha": 2 * messages}
        if app == "bot"
        else {"get": messages, "set": messages},
        bot_api_delta={"answerCallbackQuery": messages // 2} if app == "bot" else {},
        server_cpu_ms=cpu_ms,
        app=app,
        journey="hot",
        round_number=round_number,
    )


def by_figure(lines, channel="telegram", chats=10):
    return {c.figure: c for c in lines if (c.channel, c.chats) == (channel, chats)}


def test_median_leaves_out_runs_without_a_figure():
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, math.nan, 1.0]) == 2.5
    assert math.isnan(median([]))
    assert math.isnan(median([math.nan]))


def test_a_ratio_to_nothing_is_not_a_number():
    assert ratio(3.0, 1.5) == 2.0
    assert math.isnan(ratio(1.0, 0.0))
    assert math.isnan(ratio(math.nan, 1.0))


def test_each_figure_is_the_median_of_its_rounds_and_the_ratio_is_bot_over_floor():
    rows = [
        run("bot", 1, messages=800, cpu_ms=1600.0),  # 400 msg/s, 2.0 ms/msg
        run("floor", 1, messages=2000, cpu_ms=1400.0),  # 1000 msg/s, 0.7 ms/msg
        run("bot", 2, messages=1000, cpu_ms=3000.0),  # a noisy round: 3.0 ms/msg
        run("floor", 2, messages=1800, cpu_ms=1080.0),  # 0.6
        run("bot", 3, messages=900, cpu_ms=1800.0),  # 2.0
        run("floor", 3, messages=2200, cpu_ms=1760.0),  # 0.8
    ]
    lines = by_figure(compare(rows))
    throughput = lines["msg/s"]
    assert (throughput.bot, throughput.floor) == (450.0, 1000.0)
    assert throughput.ratio == pytest.approx(0.45)
    assert (throughput.bot_rounds, throughput.floor_rounds) == (3, 3)
    cpu = lines["server CPU ms/msg"]
    assert (cpu.bot, cpu.floor) == (pytest.approx(2.0), pytest.approx(0.7))
    assert cpu.ratio == pytest.approx(2.0 / 0.7)
    assert lines["Redis round trips/msg"].ratio == pytest.approx(1.0)
    assert lines["p99 ms"].ratio == pytest.approx(1.0)


def test_errors_are_summed_over_rounds_and_bot_api_calls_have_no_ratio_to_zero():
    rows = [
        run("bot", 1, messages=100, cpu_ms=200.0, errors=2),
        run("floor", 1, messages=300, cpu_ms=90.0),
        run("bot", 2, messages=100, cpu_ms=200.0, errors=1),
        run("floor", 2, messages=300, cpu_ms=90.0),
    ]
    lines = by_figure(compare(rows))
    assert (lines["errors (all rounds)"].bot, lines["errors (all rounds)"].floor) == (3.0, 0.0)
    assert math.isnan(lines["errors (all rounds)"].ratio)
    assert lines["Bot API calls/msg"].bot == 0.5
    assert lines["Bot API calls/msg"].floor == 0.0
    assert math.isnan(lines["Bot API calls/msg"].ratio)


def test_channels_and_levels_are_compared_apart_and_a_run_without_floor_has_no_ratio():
    rows = [
        run("bot", 1, messages=100, cpu_ms=100.0, channel="sms", chats=10),
        run("bot", 1, messages=100, cpu_ms=300.0, channel="telegram", chats=50),
        run("floor", 1, messages=100, cpu_ms=100.0, channel="telegram", chats=50),
    ]
    lines = compare(rows)
    assert [(c.channel, c.chats) for c in lines][:: len(lines) // 2] == [
        ("sms", 10),
        ("telegram", 50),
    ]
    sms = by_figure(lines, "sms", 10)["server CPU ms/msg"]
    assert sms.bot == 1.0
    assert math.isnan(sms.floor) and math.isnan(sms.ratio)
    assert by_figure(lines, "telegram", 50)["server CPU ms/msg"].ratio == 3.0
