"""The server command lines the benchmark runs: the Procfile's, or granian's equivalent.

Both serve an app factory (the bot's, the slowed-down bot's or the floor's) with the same number
of worker processes and threads per worker, so the only difference between two runs is the server
or the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

SERVERS = ("gunicorn", "granian")
DEFAULT_WORKERS = 2
DEFAULT_THREADS = 8


@dataclass(frozen=True)
class ServerShape:
    workers: int
    threads: int


def server_name(argv: list[str]) -> str:
    """'gunicorn' for `gunicorn ...` or `/venv/bin/gunicorn ...`."""
    return PurePath(argv[0]).name


def option_value(argv: list[str], option: str) -> str | None:
    """The value of `--option V` or `--option=V`, the last one if repeated."""
    found = None
    for index, word in enumerate(argv):
        if word == option and index + 1 < len(argv):
            found = argv[index + 1]
        elif word.startswith(option + "="):
            found = word.partition("=")[2]
    return found


def with_option(argv: list[str], option: str, value: str) -> list[str]:
    """`argv` with `--option`'s value replaced, or the option added at the end."""
    out: list[str] = []
    replaced = False
    skip = False
    for index, word in enumerate(argv):
        if skip:
            skip = False
            continue
        if word == option and index + 1 < len(argv):
            out += [option, value]
            replaced = skip = True
        elif word.startswith(option + "="):
            out.append(f"{option}={value}")
            replaced = True
        else:
            out.append(word)
    return out if replaced else [*out, option, value]


THREADS_OPTION = {"gunicorn": "--threads", "granian": "--blocking-threads"}


def shape_of(argv: list[str]) -> ServerShape:
    """Workers and threads per worker of an expanded gunicorn or granian command line."""
    workers = option_value(argv, "--workers")
    threads = option_value(argv, THREADS_OPTION.get(server_name(argv), "--threads"))
    return ServerShape(
        workers=int(workers) if workers else DEFAULT_WORKERS,
        threads=int(threads) if threads else DEFAULT_THREADS,
    )


def granian_target(factory: str) -> str:
    """gunicorn's `module:create_app()` is granian's `module:create_app` with `--factory`."""
    return factory.removesuffix("()")


def factory_word(server: str, factory: str) -> str:
    return granian_target(factory) if server == "granian" else factory


def gunicorn_argv(factory: str, port: int, shape: ServerShape) -> list[str]:
    """gunicorn as the Procfile runs it (gthread workers), for when the Procfile runs another."""
    return [
        "gunicorn", factory,
        "--bind", f"127.0.0.1:{port}",
        "--worker-class", "gthread",
        "--workers", str(shape.workers),
        "--threads", str(shape.threads),
        "--timeout", "30",
        "--graceful-timeout", "20",
    ]  # fmt: skip


def granian_argv(factory: str, port: int, shape: ServerShape) -> list[str]:
    """granian's WSGI server doing what the Procfile's gunicorn line does."""
    return [
        "granian",
        "--interface", "wsgi",
        granian_target(factory),
        "--factory",
        "--host", "127.0.0.1",
        "--port", str(port),
        "--workers", str(shape.workers),
        "--blocking-threads", str(shape.threads),
    ]  # fmt: skip


def command(
    server: str,
    procfile_argv: list[str],
    procfile_factory: str,
    factory: str,
    port: int,
    shape: ServerShape,
) -> list[str]:
    """`server` serving `factory` with `shape`: the Procfile's own line (app and shape swapped)
    when the Procfile runs that server, else that server's equivalent of it."""
    if server not in SERVERS:
        raise ValueError(f"servers are {', '.join(SERVERS)}")
    if server_name(procfile_argv) != server:
        builder = granian_argv if server == "granian" else gunicorn_argv
        return builder(factory, port, shape)
    old = factory_word(server, procfile_factory)
    if old not in procfile_argv:
        raise ValueError(f"the Procfile's web: line does not serve {old}")
    argv = [factory_word(server, factory) if word == old else word for word in procfile_argv]
    argv = with_option(argv, "--workers", str(shape.workers))
    return with_option(argv, THREADS_OPTION[server], str(shape.threads))
