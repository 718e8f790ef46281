"""Outbound Bot API calls made by the webhook itself, over one pool of kept-alive connections.

A button press costs one call (answerCallbackQuery: Telegram shows a spinner until it comes), so
the client is urllib3's connection pool: a third less CPU per call than httpx's in the benchmark,
on the same keep-alive connections (a connection the server closed is noticed before reuse).
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlsplit

import certifi
import msgspec
import urllib3
from urllib3.exceptions import HTTPError

from bot.config import web_threads
from bot.messages import chat_hash

log = logging.getLogger(__name__)

TIMEOUT = urllib3.Timeout(connect=2.0, read=5.0)
"""Telegram waits for the webhook's answer, so a slow Bot API call must not hold it for long."""
DELETE_ATTEMPTS = 3
DELETE_PAUSES = (0.2, 0.5)
"""Between attempts at deleting a PIN message; all within the webhook's answer budget."""
DELETE_TIMEOUT = urllib3.Timeout(connect=1.0, read=2.0)
GONE = "message to delete not found"
"""Already deleted (by the customer, or by an earlier attempt whose answer was lost)."""
HEADERS = {"Content-Type": "application/json"}

_json = msgspec.json.Encoder()


class BotApi:
    def __init__(self, base_url: str, token: str) -> None:
        self._path = f"{urlsplit(base_url).path.rstrip('/')}/bot{token}/"
        self._token = token
        self.closed = False
        # One kept-alive connection per server thread, so none is opened and dropped per call;
        # never retried here: a sendMessage sent twice would show twice.
        tls = {"ca_certs": certifi.where()} if base_url.startswith("https:") else {}
        self._pool = urllib3.connection_from_url(
            base_url,
            maxsize=web_threads(),
            block=False,
            retries=False,
            timeout=TIMEOUT,
            **tls,  # the CA bundle httpx used: slim images may have no system one
        )
        # Both log request lines at DEBUG, and a Bot API URL contains the bot token.
        logging.getLogger("urllib3").setLevel(logging.WARNING)
        logging.getLogger("httpx").setLevel(logging.WARNING)

    def call(self, payload: dict[str, Any], conversation: str) -> bool:
        """Make one call (`payload["method"]` names it). Failures are logged, never raised."""
        return self._attempt(payload, conversation)[0]

    def delete_message(self, payload: dict[str, Any], conversation: str) -> bool:
        """Delete a message that carried a PIN, trying up to DELETE_ATTEMPTS times. A final
        failure is logged with the message id, never the text."""
        for attempt in range(DELETE_ATTEMPTS):
            done, error = self._attempt(payload, conversation, quiet=True, timeout=DELETE_TIMEOUT)
            if done or GONE in error:
                return True
            if attempt < len(DELETE_PAUSES):
                time.sleep(DELETE_PAUSES[attempt])
        log.warning(
            "conversation %s: the PIN message %s could not be deleted after %d attempts: %s",
            chat_hash(conversation),
            payload.get("message_id"),
            DELETE_ATTEMPTS,
            error,
        )
        return False

    def _attempt(
        self,
        payload: dict[str, Any],
        conversation: str,
        *,
        quiet: bool = False,
        timeout: urllib3.Timeout | None = None,
    ) -> tuple[bool, str]:
        method = payload["method"]
        params = {k: v for k, v in payload.items() if k != "method"}
        try:
            response = self._pool.urlopen(
                "POST",
                self._path + method,
                body=_json.encode(params),
                headers=HEADERS,
                timeout=timeout or TIMEOUT,
            )
            answer = msgspec.json.decode(response.data)
        except (HTTPError, OSError, msgspec.DecodeError) as exc:
            error = self._redact(f"{type(exc).__name__} {exc}")
            if not quiet:
                log.warning(
                    "conversation %s: Bot API %s failed: %s", chat_hash(conversation), method, error
                )
            return False, error
        if response.status != 200 or not isinstance(answer, dict) or not answer.get("ok"):
            description = answer.get("description") if isinstance(answer, dict) else None
            error = f"{response.status} {self._redact(str(description))}"
            if not quiet:
                log.warning(
                    "conversation %s: Bot API %s answered %s",
                    chat_hash(conversation),
                    method,
                    error,
                )
            return False, error
        return True, ""

    def close(self) -> None:
        self._pool.close()
        self.closed = True

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "<token>")
