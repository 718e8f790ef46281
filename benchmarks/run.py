"""`python -m benchmarks.run`: start the app as the Procfile runs it and measure it under load.

Starts a private redis-server, a SQLite database with the demo customers (plus one customer per
SMS chat), a counting fake Bot API and gunicorn; warms up; then, per concurrency level and
channel, drives full journeys from a separate process and reads Redis's `INFO commandstats` and
the Bot API's counters before and after. Everything started is stopped at the end, also on
Ctrl-C. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from benchmarks import procfile, report
from benchmarks.bot_api import CountingBotApi
from benchmarks.driver import Plan, drive_elsewhere
from benchmarks.journeys import Target
from benchmarks.redis_monitor import CommandMonitor
from benchmarks.seed import MAX_SMS_CHATS, create_database
from benchmarks.services import ServiceFailed, free_port, gunicorn, redis_server
from benchmarks.slow_app import DELAY_ENV
from benchmarks.stats import Figures, command_delta, counter_delta, figures, without_harness
from bot.config import Settings

ROOT = Path(__file__).resolve().parents[1]
CHANNELS = ("telegram", "sms")
DEFAULT_SECONDS = 15.0
JOURNEYS_TIME_LIMIT_S = 300.0
"""With --journeys: no journey starts after this many seconds of a run."""
DRAIN_LIMIT_S = 60.0
"""With --seconds: no journey starts this long after the run should have ended."""
WARM_UP_CHATS = 16
PASSED_ENV = (
    "HOME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TMPDIR",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "WEB_CONCURRENCY",
)
"""What the server inherits from the caller's environment (WEB_CONCURRENCY: to compare worker
counts); never the app's own settings."""
SLOW_FACTORY = "benchmarks.slow_app:create_app()"
BOT_TOKEN = "123456789:BENCH-benchmark-token-not-real"
ACCOUNT_SID = "AC" + "b" * 32


def parse_levels(text: str) -> list[int]:
    try:
        levels = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give numbers, e.g. 10,50") from None
    if not levels or any(n < 1 for n in levels):
        raise argparse.ArgumentTypeError("concurrency levels must be 1 or more")
    return levels


def parse_channels(text: str) -> list[str]:
    channels = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = set(channels) - set(CHANNELS)
    if not channels or unknown:
        raise argparse.ArgumentTypeError(f"channels are {', '.join(CHANNELS)}")
    return channels


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument(
        "--chats",
        type=parse_levels,
        default=[10, 50],
        help="concurrent chats per run, comma-separated (default 10,50)",
    )
    parser.add_argument(
        "--channels",
        type=parse_channels,
        default=list(CHANNELS),
        help="telegram,sms (default both)",
    )
    bound = parser.add_mutually_exclusive_group()
    bound.add_argument(
        "--seconds",
        type=float,
        help=f"start journeys for this long per run (default {DEFAULT_SECONDS:g})",
    )
    bound.add_argument("--journeys", type=int, help="journeys per chat per run instead")
    parser.add_argument(
        "--backend-delay-ms",
        type=float,
        default=0.0,
        help="make every booking-backend call this much slower (default 0)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.journeys is not None and args.journeys < 1:
        parser.error("--journeys must be 1 or more")
    if args.seconds is not None and args.seconds <= 0:
        parser.error("--seconds must be more than 0")
    if args.seconds is None and args.journeys is None:
        args.seconds = DEFAULT_SECONDS
    if "sms" in args.channels and max(args.chats) > MAX_SMS_CHATS:
        parser.error(f"at most {MAX_SMS_CHATS} SMS chats")
    if args.backend_delay_ms < 0:
        parser.error("--backend-delay-ms cannot be negative")
    return args


def server_env(
    port: int,
    redis_url: str,
    database_url: str,
    bot_api_url: str,
    keys: dict[str, str],
    tmp: Path,
    delay_ms: float,
) -> dict[str, str]:
    """The server's whole environment: the app's variables, and a few of the caller's."""
    bin_dir = str(Path(sys.executable).parent)
    env = {name: os.environ[name] for name in PASSED_ENV if os.environ.get(name)}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        XDG_DATA_HOME=str(tmp / "data"),
        PORT=str(port),
        REDIS_URL=redis_url,
        DATABASE_URL=database_url,
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
        TELEGRAM_WEBHOOK_SECRET=keys["telegram"],
        TELEGRAM_API_URL=bot_api_url,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=keys["twilio"],
        PUBLIC_URL=f"http://127.0.0.1:{port}",
    )
    if delay_ms > 0:
        env[DELAY_ENV] = f"{delay_ms:g}"
    return env


def server_argv(env: dict[str, str], delay_ms: float) -> list[str]:
    argv = procfile.expand(procfile.web_command(ROOT / "Procfile"), env)
    if delay_ms > 0:
        argv = procfile.with_factory(argv, SLOW_FACTORY)
    return argv


@dataclass
class Harness:
    """What the runs use of the started services."""

    target: Target
    redis_url: str
    redis: redis.Redis
    bot_api: CountingBotApi


def start(stack: ExitStack, tmp: Path, args: argparse.Namespace) -> Harness:
    """Start everything; `stack` stops it all again, in reverse order."""
    keys = {"telegram": secrets.token_urlsafe(24), "twilio": secrets.token_hex(16)}
    say(f"starting redis-server, database and gunicorn in {tmp}")
    redis_url = stack.enter_context(redis_server(tmp))
    bot_api = CountingBotApi().start()
    stack.callback(bot_api.stop)
    port = free_port()
    database_url = f"sqlite:///{tmp / 'bookings.sqlite3'}"
    env = server_env(port, redis_url, database_url, bot_api.url, keys, tmp, args.backend_delay_ms)
    sms_chats = max([*args.chats, WARM_UP_CHATS]) if "sms" in args.channels else 0
    create_database(database_url, sms_chats, Settings.from_env(env))
    argv = server_argv(env, args.backend_delay_ms)
    say("server: " + " ".join(argv))
    base_url = f"http://127.0.0.1:{port}"
    stack.enter_context(gunicorn(argv, env, base_url, tmp / "gunicorn.log", ROOT))
    client = redis.Redis.from_url(redis_url)
    stack.callback(client.close)
    target = Target(
        base_url=base_url,
        public_url=env["PUBLIC_URL"],
        telegram_secret=keys["telegram"],
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=keys["twilio"],
    )
    return Harness(target, redis_url, client, bot_api)


def measure(plan: Plan, harness: Harness) -> Figures:
    client = harness.redis
    client.flushdb()  # every run starts without sessions, deliveries or lock-outs
    monitor = CommandMonitor(harness.redis_url).start()
    try:
        redis_before = client.info("commandstats")
        api_before = harness.bot_api.counts()
        result = drive_elsewhere(plan)
        redis_after = client.info("commandstats")
        api_after = harness.bot_api.counts()
        client.echo(monitor.sentinel)
        monitor.finish()
    finally:
        monitor.close()
    return figures(
        result,
        command_delta(redis_before, redis_after),
        without_harness(monitor.sent),
        counter_delta(api_before, api_after),
    )


def plans(args: argparse.Namespace, target: Target) -> Iterator[tuple[Plan, bool]]:
    """(plan, reported?): a one-journey warm-up per channel first, then the measured runs."""
    run_number = itertools.count(1)
    for channel in args.channels:
        yield Plan(channel, WARM_UP_CHATS, target, journeys=1, run_number=next(run_number)), False
    limit = args.seconds + DRAIN_LIMIT_S if args.seconds else JOURNEYS_TIME_LIMIT_S
    for chats in args.chats:
        for channel in args.channels:
            plan = Plan(
                channel,
                chats,
                target,
                seconds=args.seconds,
                journeys=args.journeys,
                hard_limit_s=limit,
                run_number=next(run_number),
            )
            yield plan, True


def run(args: argparse.Namespace) -> list[Figures]:
    rows: list[Figures] = []
    with (
        tempfile.TemporaryDirectory(prefix="booking-bot-bench-") as tmp,
        ExitStack() as stack,
    ):
        harness = start(stack, Path(tmp), args)
        for plan, reported in plans(args, harness.target):
            if not reported:
                say(f"warming up: {plan.chats} {plan.channel} chats, one journey each")
            else:
                bound = f"{plan.seconds:g} s" if plan.seconds else f"{plan.journeys} journeys each"
                say(f"{plan.channel}: {plan.chats} chats, {bound}")
            fig = measure(plan, harness)
            if reported:
                rows.append(fig)
                say("  " + report.table([fig]).splitlines()[1].strip())
            elif fig.errors:
                say("warm-up errors:\n" + "\n".join(report.error_lines([fig])))
        say("stopping")
    return rows


def git_revision() -> dict[str, Any]:
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip()

    status = git("status", "--porcelain")
    return {
        "commit": git("rev-parse", "HEAD"),
        "dirty": bool(status) if status is not None else None,
    }


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def meta(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        **git_revision(),
        "procfile": procfile.web_command(ROOT / "Procfile"),
        "web_concurrency": os.environ.get("WEB_CONCURRENCY"),
        "chats": args.chats,
        "channels": args.channels,
        "seconds": args.seconds,
        "journeys": args.journeys,
        "backend_delay_ms": args.backend_delay_ms,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _terminate(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # the same clean stop as Ctrl-C


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    started = time.monotonic()
    try:
        rows = run(args)
    except KeyboardInterrupt:
        say("interrupted: everything started has been stopped")
        return 130
    except ServiceFailed as failed:
        say(f"could not start: {failed}")
        return 1
    print(report.table(rows))
    print(report.LEGEND)
    print("p50/p95 ms per step:\n" + "\n".join(report.step_lines(rows)))
    problems = report.error_lines(rows)
    if problems:
        print("errors:\n" + "\n".join(problems))
    if args.json:
        report.write_json(args.json, {**meta(args), "wall_s": time.monotonic() - started}, rows)
        say(f"figures written to {args.json}")
    return 1 if any(fig.errors for fig in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
