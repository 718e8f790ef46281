"""The processes a run needs: a private redis-server and web servers (gunicorn or granian).

Each is a context manager that stops what it started, also on Ctrl-C and on errors. Both run in
their own session, so a Ctrl-C in the terminal reaches only the benchmark, which then stops them
in order.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import redis


class ServiceFailed(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process_group(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """SIGTERM the process's group (gunicorn's arbiter and its workers), SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        pass


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """A throwaway redis-server on a free 127.0.0.1 port, nothing saved; yields its URL."""
    port = free_port()
    log_path = workdir / "redis.log"
    argv = [
        "redis-server",
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "no",
        "--dir", str(workdir),
        "--logfile", str(log_path),
    ]  # fmt: skip
    process = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                raise ServiceFailed(f"redis-server exited:\n{tail(log_path)}")
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise ServiceFailed(f"redis-server did not answer:\n{tail(log_path)}") from None
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        stop_process_group(process, timeout=10)


@contextmanager
def postgres_schema(server_url: str) -> Iterator[str]:
    """A schema of its own on the PostgreSQL at `server_url`, dropped at the end; yields a URL
    whose connections use it (so a run never touches another run's or the tests' tables)."""
    import sqlalchemy

    schema = f"bench_{secrets.token_hex(6)}"
    try:
        engine = sqlalchemy.create_engine(server_url)
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text(f'create schema "{schema}"'))
    except sqlalchemy.exc.SQLAlchemyError as exc:
        raise ServiceFailed(f"PostgreSQL at {server_url}: {exc}") from None
    sep = "&" if "?" in server_url else "?"
    try:
        yield f"{server_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text(f'drop schema "{schema}" cascade'))
        engine.dispose()


@contextmanager
def web_server(
    argv: list[str], env: Mapping[str, str], url: str, log_path: Path, cwd: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `argv` (a server command line) and wait until GET /healthz answers 200; yields the
    server's main process (its workers are its children)."""
    with log_path.open("wb") as log:
        try:
            process = subprocess.Popen(
                argv,
                cwd=cwd,
                env=dict(env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except FileNotFoundError:
            raise ServiceFailed(f"{argv[0]} is not installed (pip install {argv[0]})") from None
    try:
        wait_healthy(process, url, log_path)
        yield process
    finally:
        stop_process_group(process)


def argv_name(process: subprocess.Popen[bytes]) -> str:
    args = process.args
    return str(args[0]) if isinstance(args, list | tuple) and args else "the server"


def wait_healthy(process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    last = "no answer"
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ServiceFailed(
                    f"{argv_name(process)} exited ({process.returncode}):\n{tail(log_path)}"
                )
            try:
                response = client.get(f"{url}/healthz")
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text[:200]}"
            except httpx.TransportError as exc:
                last = type(exc).__name__
            time.sleep(0.1)
    raise ServiceFailed(f"/healthz never answered 200 (last: {last}):\n{tail(log_path)}")
