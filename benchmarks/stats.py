"""The figures of a run, computed from raw samples: pure functions, no I/O."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.channels.sms import is_gsm7, segments

HARNESS_COMMANDS = frozenset({"info", "flushdb", "flushall", "config|resetstat", "echo"})
"""Commands the benchmark itself sends to Redis between two snapshots; not the app's cost."""
SCRIPT_COMMANDS = frozenset({"eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"})


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) with linear interpolation between ranks (numpy's default).

    NaN for no values, so an empty run prints as such instead of as a fast one.
    """
    if not 0 <= p <= 100:
        raise ValueError(f"percentile {p} is not within 0..100")
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Latency:
    """Milliseconds."""

    count: int
    p50: float
    p95: float
    p99: float
    mean: float
    max: float

    @classmethod
    def of(cls, samples_ms: Sequence[float]) -> Latency:
        if not samples_ms:
            return cls(0, math.nan, math.nan, math.nan, math.nan, math.nan)
        return cls(
            count=len(samples_ms),
            p50=percentile(samples_ms, 50),
            p95=percentile(samples_ms, 95),
            p99=percentile(samples_ms, 99),
            mean=sum(samples_ms) / len(samples_ms),
            max=max(samples_ms),
        )


@dataclass
class SegmentTally:
    """SMS segments of the replies one or more chats received, per reply and per journey.

    A journey's total counts only when the journey completed, so an aborted journey does not
    pull the per-journey figure down.
    """

    replies: int = 0
    segments: int = 0
    max_per_reply: int = 0
    non_gsm7_replies: int = 0
    journeys: int = 0
    journey_segments: int = 0
    max_per_journey: int = 0
    _open: int = 0

    def add_reply(self, body: str) -> int:
        """Count one reply body; returns its segments (0 for an empty reply: nothing is sent)."""
        count = segments(body) if body else 0
        self.replies += 1
        self.segments += count
        self.max_per_reply = max(self.max_per_reply, count)
        if not is_gsm7(body):
            self.non_gsm7_replies += 1
        self._open += count
        return count

    def end_journey(self, completed: bool = True) -> None:
        if completed:
            self.journeys += 1
            self.journey_segments += self._open
            self.max_per_journey = max(self.max_per_journey, self._open)
        self._open = 0

    def merge(self, other: SegmentTally) -> SegmentTally:
        return SegmentTally(
            replies=self.replies + other.replies,
            segments=self.segments + other.segments,
            max_per_reply=max(self.max_per_reply, other.max_per_reply),
            non_gsm7_replies=self.non_gsm7_replies + other.non_gsm7_replies,
            journeys=self.journeys + other.journeys,
            journey_segments=self.journey_segments + other.journey_segments,
            max_per_journey=max(self.max_per_journey, other.max_per_journey),
        )

    @property
    def mean_per_reply(self) -> float:
        return self.segments / self.replies if self.replies else math.nan

    @property
    def mean_per_journey(self) -> float:
        return self.journey_segments / self.journeys if self.journeys else math.nan

    @property
    def all_gsm7(self) -> bool:
        return self.non_gsm7_replies == 0

    def summary(self) -> dict[str, Any]:
        return {
            "replies": self.replies,
            "segments_per_reply_max": self.max_per_reply,
            "segments_per_reply_mean": self.mean_per_reply,
            "segments_per_journey_mean": self.mean_per_journey,
            "segments_per_journey_max": self.max_per_journey,
            "journeys": self.journeys,
            "all_gsm7": self.all_gsm7,
            "non_gsm7_replies": self.non_gsm7_replies,
        }


def command_calls(commandstats: Mapping[str, Mapping[str, Any]]) -> Counter[str]:
    """`INFO commandstats` as redis-py parses it ({"cmdstat_get": {"calls": 3, ...}}) or as
    {"get": {"calls": 3}}: calls per lower-case command name."""
    calls: Counter[str] = Counter()
    for name, stats in commandstats.items():
        command = name.removeprefix("cmdstat_").lower()
        calls[command] += int(stats.get("calls", 0))
    return calls


def command_delta(
    before: Mapping[str, Mapping[str, Any]], after: Mapping[str, Mapping[str, Any]]
) -> Counter[str]:
    """Calls per command made between two snapshots, without the harness's own commands."""
    delta = command_calls(after)
    delta.subtract(command_calls(before))
    return Counter({cmd: n for cmd, n in delta.items() if n > 0 and cmd not in HARNESS_COMMANDS})


def monitor_line_command(line: bytes) -> tuple[str, bool] | None:
    """(command, run by a script?) of one MONITOR line, e.g.
    `+1700000000.123456 [0 127.0.0.1:5000] "evalsha" "ab12" "3"` → ("evalsha", False), and
    `+1700000000.123457 [0 lua] "GET" "k"` → ("get", True). None for anything else."""
    header, quote, rest = line.partition(b'"')
    if not quote or not header.startswith(b"+") or not header.rstrip().endswith(b"]"):
        return None
    command = rest.partition(b'"')[0].decode(errors="replace").lower()
    if not command:
        return None
    source = header.rstrip()[:-1].rpartition(b" ")[2]
    return command, source == b"lua"


def without_harness(counts: Mapping[str, int]) -> dict[str, int]:
    return {cmd: n for cmd, n in counts.items() if n > 0 and cmd not in HARNESS_COMMANDS}


def script_calls(delta: Mapping[str, int]) -> int:
    return sum(n for cmd, n in delta.items() if cmd in SCRIPT_COMMANDS)


def per_message(total: float, messages: int) -> float:
    return total / messages if messages else math.nan


@dataclass
class DriveResult:
    """What the load process measured for one channel at one concurrency."""

    channel: str
    chats: int
    elapsed_s: float = 0.0
    messages: int = 0
    """Requests sent, answered or not."""
    latencies_ms: list[float] = field(default_factory=list)
    latencies_by_step_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    journeys: int = 0
    aborted_journeys: int = 0
    sms: SegmentTally = field(default_factory=SegmentTally)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def add(self, part: DriveResult) -> None:
        """Count `part`'s chats, messages, latencies, errors and journeys in with these."""
        self.chats += part.chats
        self.messages += part.messages
        self.latencies_ms += part.latencies_ms
        for step, samples in part.latencies_by_step_ms.items():
            self.latencies_by_step_ms.setdefault(step, []).extend(samples)
        self.errors.update(part.errors)
        self.journeys += part.journeys
        self.aborted_journeys += part.aborted_journeys
        self.sms = self.sms.merge(part.sms)

    @classmethod
    def merged(cls, channel: str, parts: list[DriveResult]) -> DriveResult:
        """One run driven by several load processes, each with its share of the chats, started
        together: their time is the longest of theirs."""
        if len(parts) == 1:
            return parts[0]
        result = cls(channel, 0, elapsed_s=max(p.elapsed_s for p in parts))
        for part in parts:
            result.add(part)
        return result


@dataclass(frozen=True)
class Figures:
    """One row of the report: a channel at a concurrency, with the server-side counters."""

    channel: str
    chats: int
    messages: int
    journeys: int
    elapsed_s: float
    messages_per_s: float
    latency_ms: Latency
    latency_by_step_ms: dict[str, Latency]
    errors: int
    error_kinds: dict[str, int]
    redis_commands_per_message: float
    redis_scripts_per_message: float
    redis_commands: dict[str, int]
    """All commands executed, those run inside Lua scripts included (`INFO commandstats`)."""
    redis_sent_per_message: float
    redis_sent: dict[str, int]
    """Commands the app itself sent (MONITOR): an upper bound of its round trips."""
    bot_api_calls_per_message: float
    bot_api_calls: dict[str, int]
    sms: dict[str, Any] | None
    app: str = "bot"
    """"bot" or "floor" (the bare Flask + Redis app it is compared with)."""
    journey: str = "full"
    round: int = 1
    server_cpu_ms: float = math.nan
    """utime + stime of the server's whole process tree during the run."""
    server_cpu_ms_per_message: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def figures(
    result: DriveResult,
    redis_delta: Mapping[str, int],
    redis_sent: Mapping[str, int],
    bot_api_delta: Mapping[str, int],
    *,
    server_cpu_ms: float = math.nan,
    app: str = "bot",
    journey: str = "full",
    round_number: int = 1,
) -> Figures:
    messages = result.messages
    return Figures(
        channel=result.channel,
        chats=result.chats,
        messages=messages,
        journeys=result.journeys,
        elapsed_s=result.elapsed_s,
        messages_per_s=messages / result.elapsed_s if result.elapsed_s > 0 else math.nan,
        latency_ms=Latency.of(result.latencies_ms),
        latency_by_step_ms={
            step: Latency.of(samples) for step, samples in result.latencies_by_step_ms.items()
        },
        errors=result.error_count,
        error_kinds=dict(result.errors),
        redis_commands_per_message=per_message(sum(redis_delta.values()), messages),
        redis_scripts_per_message=per_message(script_calls(redis_delta), messages),
        redis_commands=dict(sorted(redis_delta.items())),
        redis_sent_per_message=per_message(sum(redis_sent.values()), messages),
        redis_sent=dict(sorted(redis_sent.items())),
        bot_api_calls_per_message=per_message(sum(bot_api_delta.values()), messages),
        bot_api_calls=dict(sorted(bot_api_delta.items())),
        sms=result.sms.summary() if result.channel == "sms" else None,
        app=app,
        journey=journey,
        round=round_number,
        server_cpu_ms=server_cpu_ms,
        server_cpu_ms_per_message=per_message(server_cpu_ms, messages),
    )


def counter_delta(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    """Positive differences of two counters (e.g. outbound Bot API calls per method)."""
    return {k: after[k] - before.get(k, 0) for k in after if after[k] - before.get(k, 0) > 0}
