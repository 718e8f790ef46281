"""The bot against the floor: medians over interleaved rounds, and their ratios. Pure functions."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks.stats import Figures

BOT = "bot"
FLOOR = "floor"


def median(values: Iterable[float]) -> float:
    """Median of the values that are numbers; NaN if there are none (a run without messages)."""
    numbers = [v for v in values if not math.isnan(v)]
    return statistics.median(numbers) if numbers else math.nan


def total(values: Iterable[float]) -> float:
    return float(sum(values))


def ratio(value: float, floor: float) -> float:
    """value ÷ floor; NaN where it means nothing (a floor of 0 or unknown)."""
    if math.isnan(value) or math.isnan(floor) or floor == 0:
        return math.nan
    return value / floor


@dataclass(frozen=True)
class Figure:
    name: str
    value: Callable[[Figures], float]
    combine: Callable[[Iterable[float]], float] = median


COMPARED = (
    Figure("msg/s", lambda f: f.messages_per_s),
    Figure("p50 ms", lambda f: f.latency_ms.p50),
    Figure("p95 ms", lambda f: f.latency_ms.p95),
    Figure("p99 ms", lambda f: f.latency_ms.p99),
    Figure("server CPU ms/msg", lambda f: f.server_cpu_ms_per_message),
    Figure("Redis round trips/msg", lambda f: f.redis_sent_per_message),
    Figure("Bot API calls/msg", lambda f: f.bot_api_calls_per_message),
    Figure("errors (all rounds)", lambda f: float(f.errors), total),
)
"""What the comparison shows per channel and number of chats; errors are summed, not medians."""


@dataclass(frozen=True)
class Compared:
    channel: str
    chats: int
    figure: str
    bot: float
    floor: float
    ratio: float
    bot_rounds: int
    floor_rounds: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare(rows: Sequence[Figures]) -> list[Compared]:
    """One line per figure for each (channel, chats), in the order the runs were made."""
    groups: dict[tuple[str, int], dict[str, list[Figures]]] = {}
    for fig in rows:
        groups.setdefault((fig.channel, fig.chats), {BOT: [], FLOOR: []})[fig.app].append(fig)
    out = []
    for (channel, chats), by_app in groups.items():
        for figure in COMPARED:
            bot = figure.combine(figure.value(f) for f in by_app[BOT]) if by_app[BOT] else math.nan
            floor = (
                figure.combine(figure.value(f) for f in by_app[FLOOR])
                if by_app[FLOOR]
                else math.nan
            )
            out.append(
                Compared(
                    channel=channel,
                    chats=chats,
                    figure=figure.name,
                    bot=bot,
                    floor=floor,
                    ratio=ratio(bot, floor) if figure.combine is median else math.nan,
                    bot_rounds=len(by_app[BOT]),
                    floor_rounds=len(by_app[FLOOR]),
                )
            )
    return out
