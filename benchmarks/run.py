"""`python -m benchmarks.run`: start the app as the Procfile runs it and measure it under load.

Starts a private redis-server, a SQLite database with the demo customers (plus one customer per
SMS chat), a counting fake Bot API, the bot under the Procfile's server (or granian's equivalent)
and the floor (a bare Flask app doing one Redis GET and SET per message) under the same server
command; warms both up; then, in interleaved rounds (bot, floor, bot, floor...), per concurrency
level and channel, drives journeys from a separate process and reads Redis's `INFO
commandstats`, the Bot API's counters and the server's process-tree CPU time before and after.
It prints every run, then per figure the bot's and the floor's medians and their ratio.
Everything started is stopped at the end, also on Ctrl-C. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from benchmarks import procfile, report, servers
from benchmarks.bot_api import CountingBotApi
from benchmarks.compare import BOT, FLOOR, compare
from benchmarks.cpu import TICKS_PER_S, TreeCpu
from benchmarks.driver import CHATS_PER_DRIVER, Plan, drive_elsewhere, drivers_for
from benchmarks.journeys import JOURNEYS, Target
from benchmarks.redis_monitor import CommandMonitor
from benchmarks.seed import MAX_SMS_CHATS, create_database
from benchmarks.services import (
    ServiceFailed,
    free_port,
    postgres_schema,
    redis_server,
    web_server,
)
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
DEFAULT_ROUNDS = 3
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
FLOOR_FACTORY = "benchmarks.floor_app:create_app()"
BOT_TOKEN = "123456789:BENCH-benchmark-token-not-real"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BENCH_PEPPER = "benchmark-only-pin-pepper"
"""The built-in backend refuses PostgreSQL without PIN_PEPPER."""
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
    parser.add_argument(
        "--bookings-keep-seconds",
        type=int,
        help="the bot's BOOKINGS_KEEP_SECONDS (default the app's): 0 makes every list ask the "
        "booking backend, which a run with --backend-delay-ms is about",
    )
    parser.add_argument(
        "--journey",
        choices=JOURNEYS,
        default="full",
        help="full: log in, list, a page or booking, menu, log out (default); "
        "hot: the logged-in loop list -> menu, logged in before the timed part",
    )
    parser.add_argument(
        "--server",
        choices=servers.SERVERS,
        default=procfile_server(),
        help=f"web server (default {procfile_server()}, the Procfile's)",
    )
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="the built-in backend's store: a SQLite file (default) or a schema of its own on "
        "the PostgreSQL at --postgres-url, dropped at the end",
    )
    parser.add_argument(
        "--postgres-url",
        default=POSTGRES_URL,
        help=f"PostgreSQL for --database postgres (default {POSTGRES_URL})",
    )
    parser.add_argument(
        "--apps",
        type=int,
        default=1,
        help="bot server processes sharing Redis and the database, each with --workers "
        "workers, chats spread over them: the multi-dyno shape (default 1)",
    )
    parser.add_argument("--workers", type=int, help="worker processes (default the Procfile's)")
    parser.add_argument("--threads", type=int, help="threads per worker (default the Procfile's)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=DEFAULT_ROUNDS,
        help=f"interleaved bot/floor rounds; the comparison shows medians (default "
        f"{DEFAULT_ROUNDS})",
    )
    parser.add_argument(
        "--drivers",
        type=int,
        help=f"load processes per run (default one per {CHATS_PER_DRIVER} chats): one Python "
        "process checks only so many answers a second",
    )
    parser.add_argument(
        "--no-floor", dest="floor", action="store_false", help="measure the bot only"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be 1 or more")
    if (args.workers is not None and args.workers < 1) or (
        args.threads is not None and args.threads < 1
    ):
        parser.error("--workers and --threads must be 1 or more")
    if args.apps < 1:
        parser.error("--apps must be 1 or more")
    if args.journeys is not None and args.journeys < 1:
        parser.error("--journeys must be 1 or more")
    if args.seconds is not None and args.seconds <= 0:
        parser.error("--seconds must be more than 0")
    if args.seconds is None and args.journeys is None:
        args.seconds = DEFAULT_SECONDS
    if max(args.chats) > MAX_SMS_CHATS:
        parser.error(f"at most {MAX_SMS_CHATS} chats")
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
    if not database_url.startswith("sqlite"):
        env["PIN_PEPPER"] = BENCH_PEPPER
    return env


def procfile_server() -> str:
    argv = procfile.expand(procfile.web_command(ROOT / "Procfile"), {"PORT": "0"})
    return servers.server_name(argv)


def server_argv(args: argparse.Namespace, env: dict[str, str], factory: str) -> list[str]:
    """The server command line for one app: `args.server` shaped like the Procfile's line."""
    procfile_argv = procfile.expand(procfile.web_command(ROOT / "Procfile"), env)
    shape = servers.shape_of(procfile_argv)
    shape = servers.ServerShape(
        workers=args.workers or shape.workers, threads=args.threads or shape.threads
    )
    return servers.command(
        args.server, procfile_argv, procfile.FACTORY, factory, int(env["PORT"]), shape
    )


@dataclass
class App:
    """One started server (or, with --apps, several of the same app): the bot or the floor."""

    name: str
    target: Target
    cpu: TreeCpu | TreesCpu
    argv: list[str]
    more_targets: tuple[Target, ...] = ()


class TreesCpu:
    """The CPU of several servers' process trees together (the bot under --apps N)."""

    def __init__(self, trees: list[TreeCpu]) -> None:
        self.trees = trees

    def ticks(self) -> int:
        return sum(tree.ticks() for tree in self.trees)

    def ms_since(self, before_ticks: int) -> float:
        return (self.ticks() - before_ticks) * 1000 / TICKS_PER_S


@dataclass
class Harness:
    """What the runs use of the started services."""

    apps: list[App]
    redis_url: str
    redis: redis.Redis
    bot_api: CountingBotApi


def warm_up_chats(args: argparse.Namespace) -> int:
    return min(WARM_UP_CHATS, max(args.chats))


def start(stack: ExitStack, tmp: Path, args: argparse.Namespace) -> Harness:
    """Start everything; `stack` stops it all again, in reverse order."""
    keys = {"telegram": secrets.token_urlsafe(24), "twilio": secrets.token_hex(16)}
    say(f"starting redis-server, database and {args.server} in {tmp}")
    redis_url = stack.enter_context(redis_server(tmp))
    bot_api = CountingBotApi().start()
    stack.callback(bot_api.stop)
    if args.database == "postgres":
        database_url = stack.enter_context(postgres_schema(args.postgres_url))
    else:
        database_url = f"sqlite:///{tmp / 'bookings.sqlite3'}"
    factories = {BOT: SLOW_FACTORY if args.backend_delay_ms > 0 else procfile.FACTORY}
    if args.floor:
        factories[FLOOR] = FLOOR_FACTORY
    apps = []
    for name, factory in factories.items():
        started: list[tuple[Target, TreeCpu, list[str]]] = []
        for copy in range(args.apps if name == BOT else 1):
            port = free_port()
            env = server_env(
                port, redis_url, database_url, bot_api.url, keys, tmp, args.backend_delay_ms
            )
            if name == BOT and copy == 0:
                chats = max([*args.chats, warm_up_chats(args)])
                create_database(database_url, chats, Settings.from_env(env))
            argv = server_argv(args, env, factory)
            # the app sizes its pools to WEB_THREADS, as the Procfile's threads come from it
            env["WEB_THREADS"] = str(servers.shape_of(argv).threads)
            if args.bookings_keep_seconds is not None:
                env["BOOKINGS_KEEP_SECONDS"] = str(args.bookings_keep_seconds)
            say(f"{name}: " + " ".join(argv))
            base_url = f"http://127.0.0.1:{port}"
            log_name = f"{name}-server.log" if copy == 0 else f"{name}-server-{copy + 1}.log"
            process = stack.enter_context(web_server(argv, env, base_url, tmp / log_name, ROOT))
            target = Target(
                base_url=base_url,
                public_url=env["PUBLIC_URL"],
                telegram_secret=keys["telegram"],
                twilio_account_sid=ACCOUNT_SID,
                twilio_auth_token=keys["twilio"],
                bot_replies=name == BOT,
            )
            started.append((target, TreeCpu(process.pid), argv))
        cpu = started[0][1] if len(started) == 1 else TreesCpu([c for _, c, _ in started])
        more = tuple(t for t, _, _ in started[1:])
        apps.append(App(name, started[0][0], cpu, started[0][2], more))
    client = redis.Redis.from_url(redis_url)
    stack.callback(client.close)
    return Harness(apps, redis_url, client, bot_api)


def login_first(plan: Plan) -> Counter[str]:
    """Log a hot run's chats in, untimed; what went wrong, by kind."""
    login = dataclasses.replace(plan, journey="login", seconds=None, journeys=1)
    return Counter({f"login {kind}": n for kind, n in drive_elsewhere(login).errors.items()})


def measure(plan: Plan, app: App, harness: Harness, round_number: int) -> Figures:
    client = harness.redis
    client.flushdb()  # every run starts without sessions, deliveries or lock-outs
    login_errors = login_first(plan) if plan.journey == "hot" else Counter()
    monitor = CommandMonitor(harness.redis_url).start()
    try:
        redis_before = client.info("commandstats")
        api_before = harness.bot_api.counts()
        cpu_before = app.cpu.ticks()
        result = drive_elsewhere(plan)
        cpu_ms = app.cpu.ms_since(cpu_before)
        redis_after = client.info("commandstats")
        api_after = harness.bot_api.counts()
        client.echo(monitor.sentinel)
        monitor.finish()
    finally:
        monitor.close()
    result.errors.update(login_errors)
    return figures(
        result,
        command_delta(redis_before, redis_after),
        without_harness(monitor.sent),
        counter_delta(api_before, api_after),
        server_cpu_ms=cpu_ms,
        app=app.name,
        journey=plan.journey,
        round_number=round_number,
    )


@dataclass(frozen=True)
class Step:
    plan: Plan
    app: App
    round: int
    """0 for a warm-up, which is not reported."""


def steps(args: argparse.Namespace, apps: list[App]) -> Iterator[Step]:
    """A one-journey warm-up per app and channel first, then the measured runs: per round, per
    number of chats and channel, each app in turn (bot, floor, bot, floor...)."""
    run_number = itertools.count(1)
    for app in apps:
        for channel in args.channels:
            plan = Plan(
                channel,
                warm_up_chats(args),
                app.target,
                journeys=1,
                run_number=next(run_number),
                journey=args.journey,
                more_targets=app.more_targets,
            )
            yield Step(plan, app, 0)
    limit = args.seconds + DRAIN_LIMIT_S if args.seconds else JOURNEYS_TIME_LIMIT_S
    for round_number in range(1, args.rounds + 1):
        for chats in args.chats:
            for channel in args.channels:
                for app in apps:
                    plan = Plan(
                        channel,
                        chats,
                        app.target,
                        seconds=args.seconds,
                        journeys=args.journeys,
                        hard_limit_s=limit,
                        run_number=next(run_number),
                        journey=args.journey,
                        more_targets=app.more_targets,
                        drivers=args.drivers or drivers_for(chats),
                    )
                    yield Step(plan, app, round_number)


def run(args: argparse.Namespace) -> tuple[list[Figures], dict[str, list[str]]]:
    """Every measured run's figures, and each app's server command line."""
    rows: list[Figures] = []
    with (
        tempfile.TemporaryDirectory(prefix="booking-bot-bench-") as tmp,
        ExitStack() as stack,
    ):
        harness = start(stack, Path(tmp), args)
        for step in steps(args, harness.apps):
            plan = step.plan
            if not step.round:
                say(f"warming up {step.app.name}: {plan.chats} {plan.channel} chats, one journey")
            else:
                bound = f"{plan.seconds:g} s" if plan.seconds else f"{plan.journeys} journeys each"
                say(
                    f"round {step.round}/{args.rounds}, {step.app.name}, {plan.channel}: "
                    f"{plan.chats} chats, {plan.journey} journey, {bound}"
                )
            fig = measure(plan, step.app, harness, step.round)
            if step.round:
                rows.append(fig)
                say("  " + report.table([fig]).splitlines()[1].strip())
                say(f"  Redis clients connected after the run: {redis_clients(harness)}")
            elif fig.errors:
                say("warm-up errors:\n" + "\n".join(report.error_lines([fig])))
        say("stopping")
    return rows, {app.name: app.argv for app in harness.apps}


def redis_clients(harness: Harness) -> int:
    """Connections open to Redis, the harness's own included: the apps' pools as they grew."""
    return int(harness.redis.info("clients")["connected_clients"])


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


def meta(args: argparse.Namespace, commands: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        **git_revision(),
        "procfile": procfile.web_command(ROOT / "Procfile"),
        "server": args.server,
        "commands": commands,
        "web_concurrency": os.environ.get("WEB_CONCURRENCY"),
        "journey": args.journey,
        "rounds": args.rounds,
        "chats": args.chats,
        "channels": args.channels,
        "seconds": args.seconds,
        "journeys": args.journeys,
        "backend_delay_ms": args.backend_delay_ms,
        "bookings_keep_seconds": args.bookings_keep_seconds,
        "database": args.database,
        "apps": args.apps,
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
        rows, commands = run(args)
    except KeyboardInterrupt:
        say("interrupted: everything started has been stopped")
        return 130
    except ServiceFailed as failed:
        say(f"could not start: {failed}")
        return 1
    comparison = compare(rows)
    print(report.table(rows))
    print(report.LEGEND)
    print("p50/p95 ms per step:\n" + "\n".join(report.step_lines(rows)))
    print(
        f"\n{args.journey} journey, {args.server}, medians of {args.rounds} round(s); "
        "ratio = bot / floor:"
    )
    print(report.comparison_table(comparison))
    problems = report.error_lines(rows)
    if problems:
        print("errors:\n" + "\n".join(problems))
    if args.json:
        document_meta = {**meta(args, commands), "wall_s": time.monotonic() - started}
        report.write_json(args.json, document_meta, rows, comparison)
        say(f"figures written to {args.json}")
    return 1 if any(fig.errors for fig in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
