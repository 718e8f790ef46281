"""Outbound Bot API calls made by the webhook itself, over one pooled HTTP client."""

from __future__ import annotations

import logging
from typing import Any

import httpx

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(5.0, connect=2.0)
"""Telegram waits for the webhook's answer, so a slow Bot API call must not hold it for long."""


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
        method = payload["method"]
        params = {k: v for k, v in payload.items() if k != "method"}
        try:
            response = self._client.post(self._url + method, json=params)
            answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning(
                "conversation %s: Bot API %s failed: %s",
                conversation,
                method,
                self._redact(f"{type(exc).__name__} {exc}"),
            )
            return False
        if response.status_code != 200 or not isinstance(answer, dict) or not answer.get("ok"):
            description = answer.get("description") if isinstance(answer, dict) else None
            log.warning(
                "conversation %s: Bot API %s answered %s: %s",
                conversation,
                method,
                response.status_code,
                self._redact(str(description)),
            )
            return False
        return True

    def close(self) -> None:
        self._client.close()

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "<token>")
