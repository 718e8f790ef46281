"""A local Bot API that only counts the app's outbound calls per method.

Unlike the recording fake in tests/fakes it keeps no call bodies (a run makes thousands) and speaks
HTTP/1.1 keep-alive like api.telegram.org, so the app's pooled client reuses its connections and
the figures carry no reconnect per call.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PATH = re.compile(r"^/bot[^/]+/(?P<method>\w+)$")


class CountingBotApi:
    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> CountingBotApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def _count(self, method: str) -> None:
        with self._lock:
            self._counts[method] += 1

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as two writes

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                match = PATH.match(self.path)
                if match is None:
                    self._answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                    return
                api._count(match["method"])
                result: Any = True
                if match["method"] == "sendMessage":
                    result = {"message_id": 1, "date": 0, "chat": {"id": 0, "type": "private"}}
                self._answer(200, {"ok": True, "result": result})

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
