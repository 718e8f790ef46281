"""The load processes: many chats on threads, sharing one pooled HTTP client per process.

They run in processes of their own (spawned, so none of the orchestrator's threads or sockets
come along), which keeps the client's CPU work out of the process that serves the fake Bot API
and reads Redis's counters. One Python process is held to about one core by its GIL: at 200
chats a single one spent it all on checking the bot's answers and the bot's server sat idle, so
large runs spread their chats over several (`Plan.drivers`), started on one wall-clock instant.
"""

from __future__ import annotations

import dataclasses
import itertools
import multiprocessing
import threading
import time
from dataclasses import dataclass

import httpx

from benchmarks.journeys import Chat, ChatLog, SmsChat, Target, TelegramChat, run_chat
from benchmarks.seed import chat_login, sms_login
from benchmarks.stats import DriveResult

FIRST_CHAT_ID = 5_000_000
IDS_PER_RUN = 10_000_000
LOGIN_IDS = IDS_PER_RUN // 2
"""A hot run's untimed login shares the run's number (so its chat ids) but not its update ids:
these start half-way through the run's block (a run sends far fewer than 5 million messages)."""


@dataclass(frozen=True)
class Plan:
    channel: str
    chats: int
    target: Target
    seconds: float | None = None
    """Start journeys until this many seconds have passed (the ones under way finish)."""
    journeys: int | None = None
    """Or: this many journeys per chat."""
    hard_limit_s: float = 120.0
    """No journey starts after this, whatever else says."""
    run_number: int = 0
    """Keeps chat ids, update ids and MessageSids apart between runs."""
    journey: str = "full"
    """"full", "hot" (logged-in loop) or "login" (the untimed start of a hot run)."""
    more_targets: tuple[Target, ...] = ()
    """Other processes of the same app (the multi-dyno shape): chat i talks to target i mod n."""
    drivers: int = 1
    """Load processes sharing the chats: chat i is driven by process i mod drivers."""
    shard: int = 0
    """Which of them this is."""
    start_at: float | None = None
    """Wall-clock time (time.time()) at which every load process starts its chats together."""


CHATS_PER_DRIVER = 100
"""Chats one load process drives before its GIL, not the server, sets the pace."""
SPAWN_S = 3.0
"""Time given to spawn the load processes and import the client before they start together."""


def drivers_for(chats: int) -> int:
    return max(1, -(-chats // CHATS_PER_DRIVER))


def target_of(plan: Plan, index: int) -> Target:
    targets = (plan.target, *plan.more_targets)
    return targets[index % len(targets)]


def make_chats(plan: Plan, http: httpx.Client) -> list[Chat]:
    first_id = plan.run_number * IDS_PER_RUN + (LOGIN_IDS if plan.journey == "login" else 0) + 1
    # next() on a count is thread-safe; the processes of one run take every drivers-th id
    ids = itertools.count(first_id + plan.shard, plan.drivers)
    mine = range(plan.shard, plan.chats, plan.drivers)
    if plan.channel == "telegram":
        base = FIRST_CHAT_ID + plan.run_number * 100_000
        # each chat its own customer: chats sharing one would trip the PIN lock-out when they
        # log in all at once (the hot journey's untimed start does)
        return [TelegramChat(http, target_of(plan, i), base + i, chat_login(i), ids) for i in mine]
    if plan.channel == "sms":
        return [SmsChat(http, target_of(plan, i), sms_login(i), ids) for i in mine]
    raise ValueError(f"unknown channel {plan.channel!r}")


def drive(plan: Plan) -> DriveResult:
    if plan.seconds is None and plan.journeys is None:
        raise ValueError("a plan needs seconds or journeys")
    limits = httpx.Limits(max_connections=plan.chats, max_keepalive_connections=plan.chats)
    with httpx.Client(limits=limits, timeout=httpx.Timeout(30.0, connect=5.0)) as http:
        chats = make_chats(plan, http)
        if not chats:
            return DriveResult(plan.channel, 0)
        go = threading.Event()
        logs: list[ChatLog] = []
        timing: dict[str, float] = {}

        def keep_going(done: int) -> bool:
            if plan.journeys is not None and done >= plan.journeys:
                return False
            return plan.seconds is None or time.monotonic() < timing["deadline"]

        def worker(chat: Chat) -> None:
            go.wait()
            logs.append(run_chat(chat, keep_going, timing["hard_deadline"], plan.journey))

        threads = [threading.Thread(target=worker, args=(chat,), daemon=True) for chat in chats]
        for thread in threads:
            thread.start()
        if plan.start_at is not None:
            time.sleep(max(0.0, plan.start_at - time.time()))
        started = time.monotonic()
        timing["deadline"] = started + (plan.seconds or 0)
        timing["hard_deadline"] = started + plan.hard_limit_s
        go.set()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    return collect(plan, logs, elapsed)


def collect(plan: Plan, logs: list[ChatLog], elapsed: float) -> DriveResult:
    result = DriveResult(plan.channel, 0, elapsed_s=elapsed)
    for log in logs:
        result.add(
            DriveResult(
                plan.channel,
                1,
                messages=log.messages,
                latencies_ms=log.latencies_ms,
                latencies_by_step_ms=log.by_step_ms,
                errors=log.errors,
                journeys=log.journeys,
                aborted_journeys=log.aborted,
                sms=log.sms,
            )
        )
    return result


def drive_elsewhere(plan: Plan) -> DriveResult:
    """`drive(plan)` in `plan.drivers` separate processes, their results merged; they are
    terminated on Ctrl-C and errors."""
    context = multiprocessing.get_context("spawn")
    if plan.drivers == 1:
        shards = [plan]
    else:
        start_at = time.time() + SPAWN_S
        shards = [
            dataclasses.replace(plan, shard=k, start_at=start_at) for k in range(plan.drivers)
        ]
    with context.Pool(len(shards)) as pool:
        pending = [pool.apply_async(drive, (shard,)) for shard in shards]
        parts = [p.get(timeout=plan.hard_limit_s + SPAWN_S + 120) for p in pending]
    return DriveResult.merged(plan.channel, parts)
