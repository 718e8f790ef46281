"""The figures as a table for the terminal, and as JSON for comparing commits."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.compare import Compared
from benchmarks.stats import Figures

COLUMNS = (
    ("app", 5),
    ("round", 5),
    ("channel", 8),
    ("chats", 5),
    ("msgs", 6),
    ("msg/s", 7),
    ("p50 ms", 7),
    ("p95 ms", 7),
    ("p99 ms", 7),
    ("errors", 6),
    ("cpu ms/msg", 10),
    ("redis/msg", 9),
    ("sent/msg", 8),
    ("eval/msg", 8),
    ("botapi/msg", 10),
    ("seg/reply max,mean", 18),
    ("seg/journey", 11),
    ("GSM-7", 5),
)


def _number(value: float, digits: int = 1) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def row(fig: Figures) -> list[str]:
    sms = fig.sms
    return [
        fig.app,
        str(fig.round),
        fig.channel,
        str(fig.chats),
        str(fig.messages),
        _number(fig.messages_per_s),
        _number(fig.latency_ms.p50),
        _number(fig.latency_ms.p95),
        _number(fig.latency_ms.p99),
        str(fig.errors),
        _number(fig.server_cpu_ms_per_message, 2),
        _number(fig.redis_commands_per_message, 2),
        _number(fig.redis_sent_per_message, 2),
        _number(fig.redis_scripts_per_message, 2),
        _number(fig.bot_api_calls_per_message, 2),
        f"{sms['segments_per_reply_max']}, {_number(sms['segments_per_reply_mean'], 2)}"
        if sms
        else "",
        _number(sms["segments_per_journey_mean"], 1) if sms else "",
        ("yes" if sms["all_gsm7"] else "NO") if sms else "",
    ]


def _aligned(columns: Sequence[tuple[str, int]], rows: Sequence[list[str]]) -> str:
    cells = [[name for name, _ in columns], *rows]
    widths = [max(width, *(len(line[i]) for line in cells)) for i, (_, width) in enumerate(columns)]
    lines = [
        "  ".join(cell.rjust(w) for cell, w in zip(line, widths, strict=True)) for line in cells
    ]
    return "\n".join(lines)


def table(rows: Sequence[Figures]) -> str:
    return _aligned(COLUMNS, [row(fig) for fig in rows])


COMPARISON_COLUMNS = (
    ("channel", 8),
    ("chats", 5),
    ("figure", 21),
    ("bot", 8),
    ("floor", 8),
    ("bot/floor", 9),
)


def comparison_table(lines: Sequence[Compared]) -> str:
    """Per channel, chats and figure: the bot's median, the floor's and their ratio."""
    return _aligned(
        COMPARISON_COLUMNS,
        [
            [
                c.channel,
                str(c.chats),
                c.figure.ljust(COMPARISON_COLUMNS[2][1]),
                _number(c.bot, 2),
                _number(c.floor, 2),
                f"{_number(c.ratio, 2)}x" if not math.isnan(c.ratio) else "-",
            ]
            for c in lines
        ],
    )


LEGEND = (
    "cpu ms/msg: CPU time (user + system) of the server's whole process tree per message; "
    "redis/msg: commands Redis executed per message, those inside Lua scripts included "
    "(INFO commandstats); sent/msg: commands the app sent (MONITOR), at least its round trips; "
    "eval/msg: EVAL/EVALSHA calls; botapi/msg: outbound Bot API calls; seg: SMS segments."
)


def step_lines(rows: Sequence[Figures]) -> list[str]:
    """p50/p95 per journey step, where the time of a run goes."""
    out = []
    for fig in rows:
        steps = ", ".join(
            f"{step} {_number(lat.p50, 0)}/{_number(lat.p95, 0)}"
            for step, lat in fig.latency_by_step_ms.items()
        )
        out.append(f"  {fig.app} round {fig.round} {fig.channel} x{fig.chats}: {steps}")
    return out


def error_lines(rows: Sequence[Figures]) -> list[str]:
    out = []
    for fig in rows:
        for kind, count in sorted(fig.error_kinds.items(), key=lambda item: -item[1]):
            out.append(
                f"  {fig.app} round {fig.round} {fig.channel} x{fig.chats}: {count} x {kind}"
            )
    return out


def _jsonable(value: Any) -> Any:
    """NaN is not JSON: it becomes null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def write_json(
    path: Path,
    meta: dict[str, Any],
    rows: Sequence[Figures],
    comparison: Sequence[Compared] = (),
) -> None:
    document = {
        "meta": meta,
        "runs": [fig.to_dict() for fig in rows],
        "comparison": [c.to_dict() for c in comparison],
    }
    path.write_text(json.dumps(_jsonable(document), indent=2, sort_keys=False) + "\n")
