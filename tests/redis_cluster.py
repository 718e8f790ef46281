"""A throwaway 3-node Redis Cluster on 127.0.0.1 for the suite: started, checked, stopped.

Three `redis-server --cluster-enabled yes` processes in a temporary directory, joined by
`redis-cli --cluster create` (no replicas), then polled until every node says `cluster_state:ok`.
Ports are free ones whose cluster bus port (port + 10000) is free too. Nothing is saved to disk.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

NODES = 3
BUS_OFFSET = 10_000
START_TIMEOUT_S = 30.0


class ClusterFailed(RuntimeError):
    """The local cluster could not be started (the message says which step and why)."""


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_cluster_ports(count: int = NODES) -> list[int]:
    """`count` free ports below 55536 whose bus ports are free as well."""
    ports: list[int] = []
    while len(ports) < count:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port + BUS_OFFSET > 65_535 or port in ports:
            port = 20_000 + (port % 30_000)
        if port not in ports and _port_is_free(port) and _port_is_free(port + BUS_OFFSET):
            ports.append(port)
    return ports


def _cli(port: int, *args: str, timeout: float = 10.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _start_node(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    node_dir = workdir / str(port)
    node_dir.mkdir()
    argv = [
        "redis-server",
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--cluster-enabled", "yes",
        "--cluster-config-file", str(node_dir / "nodes.conf"),
        "--cluster-node-timeout", "5000",
        "--save", "",
        "--appendonly", "no",
        "--dir", str(node_dir),
        "--logfile", str(node_dir / "redis.log"),
    ]  # fmt: skip
    return subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        pass


def _wait(what: str, done, deadline: float, explain) -> None:
    while not done():
        if time.monotonic() > deadline:
            raise ClusterFailed(f"{what}:\n{explain()}")
        time.sleep(0.1)


@contextmanager
def local_cluster(workdir: Path) -> Iterator[str]:
    """Start a 3-primary cluster in `workdir`; yields a `redis://` URL of one of its nodes."""
    for tool in ("redis-server", "redis-cli"):
        if shutil.which(tool) is None:
            raise ClusterFailed(f"{tool} is not installed")
    ports = free_cluster_ports()
    deadline = time.monotonic() + START_TIMEOUT_S
    with ExitStack() as stack:
        processes = []
        for port in ports:
            process = _start_node(workdir, port)
            stack.callback(_stop, process)
            processes.append((port, process))

        def logs() -> str:
            return "\n".join(f"node {p}:\n{_tail(workdir / str(p) / 'redis.log')}" for p in ports)

        for port, process in processes:

            def answers(port: int = port, process: subprocess.Popen[bytes] = process) -> bool:
                if process.poll() is not None:
                    raise ClusterFailed(f"redis-server on port {port} exited:\n{logs()}")
                return _cli(port, "ping").stdout.strip() == "PONG"

            _wait(f"redis-server on port {port} did not answer", answers, deadline, logs)
        create = _cli(
            ports[0],
            "--cluster", "create",
            *[f"127.0.0.1:{port}" for port in ports],
            "--cluster-replicas", "0",
            "--cluster-yes",
            timeout=START_TIMEOUT_S,
        )  # fmt: skip
        if create.returncode != 0:
            raise ClusterFailed(
                f"redis-cli --cluster create failed:\n{create.stdout}{create.stderr}"
            )

        def all_ok() -> bool:
            return all("cluster_state:ok" in _cli(p, "cluster", "info").stdout for p in ports)

        _wait("the cluster never reported cluster_state:ok", all_ok, deadline, logs)
        yield f"redis://127.0.0.1:{ports[0]}/0"
