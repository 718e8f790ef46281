"""Outbound Bot API calls made by the webhook itself, over one pooled HTTP client."""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx

from bot.messages import chat_hash

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(5.0, connect=2.0)
"""Telegram waits for the webhook's answer, so a slow Bot API call must not hold it for long."""
DELETE_ATTEMPTS = 3
DELETE_PAUSES = (0.2, 0.5)
"""Between attempts at deleting a PIN message; all within the webhook's answer budget."""
DELETE_TIMEOUT = httpx.Timeout(2.0, connect=1.0)
GONE = "message to delete not found"
"""Already deleted (by the customer, or by an earlier attempt whose answer was lost)."""


class BotApi:
    def __init__(self, base_url: str, token: str, client: httpx.Client | None = None) -> None:
        self._url = f"{base_url.rstrip('/')}/bot{token}/"
        self._token = token
        self._client = client or httpx.Client(
            timeout=TIMEOUT, limits=httpx.Limits(max_connections=20, max_keepalive_connections=10)
        )
        # httpx logs every request URL at INFO, and a Bot API URL contains the bot token.
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
        timeout: httpx.Timeout | None = None,
    ) -> tuple[bool, str]:
        method = payload["method"]
        params = {k: v for k, v in payload.items() if k != "method"}
        try:
            response = self._client.post(
                self._url + method, json=params, timeout=timeout or TIMEOUT
            )
            answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            error = self._redact(f"{type(exc).__name__} {exc}")
            if not quiet:
                log.warning(
                    "conversation %s: Bot API %s failed: %s", chat_hash(conversation), method, error
                )
            return False, error
        if response.status_code != 200 or not isinstance(answer, dict) or not answer.get("ok"):
            description = answer.get("description") if isinstance(answer, dict) else None
            error = f"{response.status_code} {self._redact(str(description))}"
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
        self._client.close()

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "<token>")
