"""HTTP to one Launch27 subdomain: one pooled client, deadline-sized timeouts, reads retried once,
every failure mapped to the protocol's errors, and nothing secret in a log line.

Launch27 documents few error bodies, so failures are read from the status first:
401 → LoginExpired, 403 → LoginExpired (callers that know better catch it first), 404 →
BookingNotFound, 422 → Rejected(fields), 5xx, timeouts, refused connections, non-JSON bodies →
BackendUnavailable. A write whose request was sent but whose answer never came raises
`AnswerLost` (an OutcomeUnknown), so the adapter can look before anything is tried again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import httpx

from bot import deadline
from bot.backends.platform_http import platform_limits
from bot.backends.protocol import (
    BackendBusy,
    BackendUnavailable,
    BookingNotFound,
    LoginExpired,
    OutcomeUnknown,
    Rejected,
)

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 2.0
READ_TIMEOUT = 5.0
"""Well inside Twilio's 15 s and the bot's own 10 s budget; shortened further as it runs out."""
MIN_TIMEOUT = 0.2
READ_ATTEMPTS = 2


class AnswerLost(OutcomeUnknown):
    """A write was sent and its answer never came: it may or may not have happened."""


class PlatformError(BackendUnavailable):
    """A status the caller may want to read itself (403, 406, 422...) before it is mapped."""

    def __init__(self, response: httpx.Response, body: Any) -> None:
        super().__init__(f"Launch27 answered {response.status_code}")
        self.status = response.status_code
        self.body = body


class Launch27Http:
    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        if not base_url:
            raise ValueError("LAUNCH27_URL is not set")
        self.base_url = base_url.rstrip("/")
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._own_client = client is None
        self.client = client or httpx.Client(
            transport=transport,
            limits=platform_limits(),
            follow_redirects=False,
        )
        self.headers = {"Content-Type": "application/json", **(headers or {})}

    # --- the two kinds of call ------------------------------------------------------------------

    def read(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        statuses: tuple[int, ...] = (),
    ) -> Any:
        """A call that changes nothing: tried again once on a timeout, refusal or 5xx."""
        error: BackendUnavailable | None = None
        for attempt in range(READ_ATTEMPTS):
            if attempt and deadline.remaining() < self.connect_timeout + MIN_TIMEOUT:
                break
            try:
                response = self._send(method, path, params=params, json=json, headers=headers)
            except httpx.TransportError as exc:
                error = BackendUnavailable(f"Launch27 {method} {path}: {type(exc).__name__}")
                continue
            if response.status_code >= 500:
                error = BackendUnavailable(f"Launch27 {method} {path}: {response.status_code}")
                continue
            return self._answer(response, statuses)
        assert error is not None
        raise error

    def write(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        statuses: tuple[int, ...] = (),
        reserve: float = 0.0,
    ) -> Any:
        """A call that changes something: never repeated here.

        `reserve`: seconds kept back from the read timeout for what the caller does after a lost
        answer (looking for the booking)."""
        if deadline.expired():
            raise BackendBusy("no time left to send the request")
        try:
            response = self._send(
                method, path, params=params, json=json, headers=headers, reserve=reserve
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Never reached the platform: nothing happened.
            raise BackendUnavailable(f"Launch27 {method} {path}: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:
            raise AnswerLost(f"Launch27 {method} {path}: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            # A 5xx may come after the change was made (a proxy timing out the platform).
            raise AnswerLost(f"Launch27 {method} {path}: {response.status_code}")
        return self._answer(response, statuses)

    def close(self) -> None:
        if self._own_client:
            self.client.close()

    # --- plumbing -------------------------------------------------------------------------------

    def _timeout(self, reserve: float = 0.0) -> httpx.Timeout:
        left = deadline.remaining(default=self.read_timeout + self.connect_timeout + reserve)
        connect = max(MIN_TIMEOUT, min(self.connect_timeout, left))
        read = max(MIN_TIMEOUT, min(self.read_timeout, left - reserve))
        return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None,
        json: Any,
        headers: Mapping[str, str] | None,
        reserve: float = 0.0,
    ) -> httpx.Response:
        started = time.monotonic()
        outcome = "no answer"
        try:
            response = self.client.request(
                method,
                self.base_url + path,
                params=params,
                json=json,
                headers={**self.headers, **(headers or {})},
                timeout=self._timeout(reserve),
            )
            outcome = str(response.status_code)
            return response
        finally:
            # Path and status only: headers and bodies carry passwords and tokens.
            log.info(
                "launch27 %s %s -> %s in %.0f ms",
                method,
                path,
                outcome,
                (time.monotonic() - started) * 1000,
            )

    def _answer(self, response: httpx.Response, statuses: tuple[int, ...]) -> Any:
        status = response.status_code
        body = _json(response)
        if status in statuses:
            raise PlatformError(response, body)
        if 200 <= status < 300:
            if body is _NOT_JSON:
                raise BackendUnavailable(f"Launch27 answered {status} with a body that isn't JSON")
            return body
        if status in (401, 403):
            raise LoginExpired(f"Launch27 answered {status}")
        if status == 404:
            raise BookingNotFound("That booking was not found.")
        if status == 422:
            message, fields = rejection(body)
            raise Rejected(message, fields)
        raise BackendUnavailable(f"Launch27 answered {status}")


_NOT_JSON = object()


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return _NOT_JSON


def rejection(body: Any) -> tuple[str, dict[str, str]]:
    """A 422 body as (message, {field: problem}).

    Launch27 documents no error body; these are read: {"errors": {"field": ["problem"]}},
    {"errors": ["problem"]}, {"error"|"message": "problem"}."""
    fields: dict[str, str] = {}
    message = "The booking platform refused the request."
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, dict):
            for name, problems in errors.items():
                problem = problems[0] if isinstance(problems, list) and problems else problems
                fields[str(name)] = str(problem)
        elif isinstance(errors, list) and errors:
            message = "; ".join(str(error) for error in errors)
        for key in ("message", "error"):
            if isinstance(body.get(key), str):
                message = body[key]
                break
        else:
            if fields:
                message = "; ".join(f"{name} {problem}" for name, problem in fields.items())
    return message, fields


def message_of(body: Any) -> str:
    """Whatever text an error body carries, lower-cased ("" when none)."""
    if isinstance(body, str):
        return body.lower()
    if isinstance(body, dict):
        parts = [str(v) for k, v in body.items() if k in ("error", "message", "errors")]
        return " ".join(parts).lower()
    return ""
