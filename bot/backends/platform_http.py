"""Reads from a platform's HTTP API inside the message's deadline.

One pooled `httpx.Client` per backend. Each attempt gets a timeout cut to the time the message has
left (`bot.deadline.remaining()`), so a slow platform can never hold a webhook past Twilio's 15 s.
Only requests that change nothing go through here, which is what makes retrying them safe:
connection failures, timeouts and 5xx answers are tried once more when time allows, then become
`BackendUnavailable`. Log lines name the platform, method, path and status, never a body.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx

from bot import deadline
from bot.backends.protocol import BackendUnavailable
from bot.config import web_threads

log = logging.getLogger(__name__)


def platform_limits() -> httpx.Limits:
    """A platform client's connections: one per server thread (WEB_THREADS), at least 20.

    A slow platform holds a connection for its whole answer (100-500 ms), so with fewer
    connections than threads the threads queue for a connection, not for the platform.
    """
    threads = web_threads()
    return httpx.Limits(max_connections=max(20, threads), max_keepalive_connections=threads)


CONNECT_TIMEOUT = 2.0
READ_TIMEOUT = 4.0
"""Per attempt; two attempts and the pause between them also fit the 10 s message budget."""
MIN_ATTEMPT_SECONDS = 0.5
"""An attempt that would get less than this is not started."""
RETRY_PAUSE = 0.2
SAFETY_MARGIN = 0.5
"""Left for answering the customer after the platform call."""


class PlatformHttp:
    def __init__(
        self,
        platform: str,
        base_url: str,
        *,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        headers: dict[str, str] | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        attempts: int = 2,
    ) -> None:
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.attempts = max(1, attempts)
        self._owns_client = client is None
        self._client = client or httpx.Client(
            transport=transport,
            limits=platform_limits(),
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            follow_redirects=False,
        )

    def read(
        self, method: str, path: str, *, label: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Send a request that changes nothing on the platform; any HTTP answer below 500 is
        returned for the adapter to interpret. `label` names the call in log lines instead of a
        path that holds a customer's identifier."""
        url = self.base_url + path
        label = label or path
        failure = "not tried: no time left for this message"
        # Every try, and the pause between them, ends before the message's deadline (or the
        # default budget when none runs); connecting plus reading never exceeds what is left.
        ends_at = time.monotonic() + deadline.remaining() - SAFETY_MARGIN
        for attempt in range(1, self.attempts + 1):
            budget = ends_at - time.monotonic()
            if budget < MIN_ATTEMPT_SECONDS:
                break
            connect = min(self.connect_timeout, budget / 3)
            timeout = httpx.Timeout(
                connect=connect,
                read=min(self.read_timeout, budget - connect),
                write=connect,
                pool=connect,
            )
            try:
                response = self._client.request(
                    method, url, headers=self.headers, timeout=timeout, **kwargs
                )
            except httpx.TimeoutException:
                failure = "timed out"
            except httpx.TransportError as exc:
                failure = f"connection failed ({type(exc).__name__})"
            else:
                if response.status_code < 500:
                    return response
                failure = f"answered {response.status_code}"
            log.warning(
                "%s %s %s %s (attempt %d of %d)",
                self.platform,
                method,
                label,
                failure,
                attempt,
                self.attempts,
            )
            if attempt < self.attempts and ends_at - time.monotonic() > RETRY_PAUSE:
                time.sleep(RETRY_PAUSE)
        raise BackendUnavailable(f"{self.platform} {failure}")

    def json(self, response: httpx.Response) -> Any:
        """The body as JSON, or BackendUnavailable: a proxy's HTML error page is an outage too."""
        try:
            return response.json()
        except ValueError:
            log.warning(
                "%s answered %d with a body that is not JSON", self.platform, response.status_code
            )
            raise BackendUnavailable(
                f"{self.platform} answered something that is not JSON"
            ) from None

    def close(self) -> None:
        if self._owns_client:
            self._client.close()
