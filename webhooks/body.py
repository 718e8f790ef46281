"""The request body cap, for bodies sent without a Content-Length too.

Flask's MAX_CONTENT_LENGTH checks a declared length; a chunked body (no Content-Length) is
read here up to the cap first, so an oversized one answers 413 like any other.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

TOO_LARGE = json.dumps({"error": "Request Entity Too Large", "status": 413}).encode()


class BodyLimit:
    """WSGI middleware: a body without Content-Length is read (at most `max_bytes` + 1 bytes);
    over the cap it answers 413, else the app gets it with its length set."""

    def __init__(self, app: WsgiApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        if not _has_unsized_body(environ):
            return self.app(environ, start_response)
        stream = environ["wsgi.input"]
        chunks, size = [], 0
        while size <= self.max_bytes:
            chunk = stream.read(min(65536, self.max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > self.max_bytes:
            start_response(
                "413 Request Entity Too Large",
                [
                    ("Content-Type", "application/json"),
                    ("Content-Length", str(len(TOO_LARGE))),
                    ("Connection", "close"),
                ],
            )
            return [TOO_LARGE]
        body = b"".join(chunks)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        # now a body of known length: werkzeug ignores Content-Length next to chunked
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.app(environ, start_response)


def _has_unsized_body(environ: dict[str, Any]) -> bool:
    """A chunked body (whose length is unknown whatever Content-Length says), or one without
    a length that the server ends for us: reading it to the end cannot wait forever."""
    if environ.get("REQUEST_METHOD") in ("GET", "HEAD", "OPTIONS"):
        return False
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return True
    return not environ.get("CONTENT_LENGTH") and bool(environ.get("wsgi.input_terminated"))
