"""Counts the commands clients send to Redis, apart from those that Lua scripts run.

`INFO commandstats` counts a GET inside EVALSHA like a GET sent by a client, so it cannot say how
many commands the app sent per message. MONITOR can: it tags commands run by a script `[db lua]`
and the others `[db ip:port]`. One reader on a raw socket costs Redis little at this load.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import threading
from collections import Counter
from urllib.parse import urlsplit

from benchmarks.stats import monitor_line_command

BUFFER = 1 << 16


class CommandMonitor:
    def __init__(self, redis_url: str) -> None:
        parts = urlsplit(redis_url)
        self._address = (parts.hostname or "127.0.0.1", parts.port or 6379)
        self.sent: Counter[str] = Counter()
        """Commands sent by clients (not by scripts), by lower-case name."""
        self.scripted: Counter[str] = Counter()
        self._sentinel = f"bench-monitor-end-{secrets.token_hex(8)}"
        self._sock: socket.socket | None = None
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._done = threading.Event()

    @property
    def sentinel(self) -> str:
        """ECHO this from any client to end the count: everything before it has been read."""
        return self._sentinel

    def start(self) -> CommandMonitor:
        self._sock = socket.create_connection(self._address, timeout=10)
        self._sock.sendall(b"MONITOR\r\n")
        reply = self._sock.recv(5)
        if reply != b"+OK\r\n":
            raise RuntimeError(f"MONITOR refused: {reply!r}")
        self._sock.settimeout(None)
        self._thread.start()
        return self

    def finish(self, timeout: float = 30.0) -> None:
        """Wait until the sentinel was seen (send it first), then close."""
        self._done.wait(timeout)
        self.close()

    def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()
            self._sock = None
        self._thread.join(5)

    def _read(self) -> None:
        sock = self._sock
        assert sock is not None
        sentinel = self._sentinel.encode()
        pending = b""
        try:
            while not self._done.is_set():
                chunk = sock.recv(BUFFER)
                if not chunk:
                    return
                *lines, pending = (pending + chunk).split(b"\r\n")
                for line in lines:
                    if sentinel in line:
                        self._done.set()
                        return
                    parsed = monitor_line_command(line)
                    if parsed is not None:
                        command, scripted = parsed
                        (self.scripted if scripted else self.sent)[command] += 1
        except OSError:
            return
