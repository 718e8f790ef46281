"""A local Bot API server that records every call, for the webhook's outbound requests and PTB.

Answers `{"ok": true, "result": ...}` like https://core.telegram.org/bots/api#making-requests,
or a failure for the methods listed in `fail`. Accepts JSON bodies (our webhook) and form bodies
(python-telegram-bot).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>\w+)$")


@dataclass(frozen=True)
class Call:
    token: str
    method: str
    params: dict[str, Any]


class FakeBotApi:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.fail: set[str] = set()
        """Methods answered with 400 Bad Request."""
        self.valid_tokens: set[str] | None = None
        """When set, any other bot token is answered 401 Unauthorized, as Telegram does."""
        self.flaky: dict[str, int] = {}
        """Method -> how many of its next calls answer 502 Bad Gateway before it works again."""
        self.webhook: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeBotApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def methods(self, name: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if name is None or c.method == name]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.fail.clear()
            self.flaky.clear()
            self.valid_tokens = None

    def _record(self, call: Call) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.calls.append(call)
            if self.valid_tokens is not None and call.token not in self.valid_tokens:
                return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            if self.flaky.get(call.method, 0) > 0:
                self.flaky[call.method] -= 1
                return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
        if call.method in self.fail:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: fake"}
        return 200, {"ok": True, "result": self._result(call)}

    def _result(self, call: Call) -> Any:
        if call.method == "getMe":
            return {"id": 1, "is_bot": True, "first_name": "Demo", "username": "demo_bot"}
        if call.method == "setWebhook":
            self.webhook = dict(call.params)
            return True
        if call.method == "getWebhookInfo":
            allowed = self.webhook.get("allowed_updates")
            return {
                "url": self.webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": 0,
                "allowed_updates": json.loads(allowed) if isinstance(allowed, str) else allowed,
            }
        if call.method == "sendMessage":
            return {
                "message_id": len(self.calls) + 1000,
                "date": 0,
                "chat": {"id": call.params.get("chat_id"), "type": "private"},
                "text": call.params.get("text", ""),
            }
        return True

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                match = PATH.match(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if match is None:
                    self._answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                    return
                if "json" in (self.headers.get("Content-Type") or ""):
                    params = json.loads(raw or b"{}")
                else:
                    params = dict(parse_qsl(raw.decode()))
                call = Call(match["token"], match["method"], params)
                self._answer(*api._record(call))

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


@contextmanager
def running() -> Iterator[FakeBotApi]:
    api = FakeBotApi().start()
    try:
        yield api
    finally:
        api.stop()
