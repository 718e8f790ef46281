"""A real HTTP server on 127.0.0.1 for a platform's fake, with the faults tests need.

A subclass answers `route(request)` with a status and a JSON body, as its platform's documentation
says. Knobs, for every fake alike:
- `delay`: seconds to wait before answering (timeouts);
- `fault`: `"500"`/`"502"`/`"503"` (an HTML error page with that status), `"non_json"` (200 with
  an HTML page), `"wrong_shape"` (200 with `wrong_shape_body()`), `"drop"` (close the connection
  without answering); `fault_times`: apply it to that many requests only, then answer normally.
Every request is recorded (`requests`) with its headers and parsed body.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

HTML_ERROR = b"<html><body><h1>Service Unavailable</h1></body></html>"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)
    content_type: str = ""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (timeout tests) is not an error of the fake


class LocalJsonServer:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.delay = 0.0
        self.fault: str | None = None
        self.fault_times: int | None = None
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # --- for subclasses -----------------------------------------------------------------------

    def route(self, request: Request) -> tuple[int, Any]:
        raise NotImplementedError

    def wrong_shape_body(self) -> Any:
        return ["not", "what", "the", "documentation", "says"]

    # --- running ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @contextmanager
    def running(self) -> Iterator[Self]:
        self.start()
        try:
            yield self
        finally:
            self.stop()

    def recorded(self, path: str | None = None) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if path is None or r.path == path]

    def _take_fault(self) -> str | None:
        with self._lock:
            if self.fault is None:
                return None
            if self.fault_times is not None:
                if self.fault_times <= 0:
                    return None
                self.fault_times -= 1
            return self.fault

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._handle()

            def do_POST(self) -> None:
                self._handle()

            def do_PUT(self) -> None:
                self._handle()

            def do_DELETE(self) -> None:
                self._handle()

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                content_type = self.headers.get("Content-Type") or ""
                request = Request(
                    method=self.command,
                    path=urlsplit(self.path).path,
                    headers=dict(self.headers.items()),
                    body=_parse_body(raw, content_type),
                    content_type=content_type,
                )
                with fake._lock:
                    fake.requests.append(request)
                if fake.delay:
                    time.sleep(fake.delay)
                fault = fake._take_fault()
                if fault == "drop":
                    self.close_connection = True
                    return
                if fault and fault.isdigit():
                    self._send(int(fault), HTML_ERROR, "text/html")
                elif fault == "non_json":
                    self._send(200, b"<html>We'll be back soon</html>", "text/html")
                elif fault == "wrong_shape":
                    self._send_json(200, fake.wrong_shape_body())
                else:
                    self._send_json(*fake.route(request))

            def _send_json(self, status: int, body: Any) -> None:
                self._send(status, json.dumps(body).encode(), "application/json")

            def _send(self, status: int, data: bytes, content_type: str) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up waiting

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def _parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if "json" in content_type:
        try:
            parsed = json.loads(raw)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return dict(parse_qsl(raw.decode(errors="replace")))
