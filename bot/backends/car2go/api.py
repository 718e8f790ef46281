"""car2go's HTTP API: OAuth 1.0a signing (authlib), timeouts, read retries, return codes.

One pooled `httpx.Client` serves every customer: each call is signed with the customer's access
token pair by its own `OAuth1Auth`. Timeouts come from the time left to answer the message
(`bot.deadline.remaining()`); only GETs are tried again. No token, secret or verifier is ever
put in a log line or an error message.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import authlib.deprecate
import httpx

from bot import deadline
from bot.backends.car2go.codes import OK, error_for, oauth_error_for
from bot.backends.platform_http import platform_limits
from bot.backends.protocol import (
    BackendBusy,
    BackendUnavailable,
    OutcomeUnknown,
)

with warnings.catch_warnings():
    # authlib prefers the `httpx2` package and warns when it signs plain httpx requests
    # (`authlib.deprecate`, imported above, installs an "always" filter that ours must follow).
    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import OAuth1Auth

log = logging.getLogger(__name__)

REQUEST_TOKEN_PATH = "/api/reqtoken"
AUTHORIZE_PATH = "/api/authorize"
ACCESS_TOKEN_PATH = "/api/accesstoken"
API_PATH = "/api/v2.1"

MAX_ATTEMPT_SECONDS = 6.0
"""One attempt never waits longer than this, whatever time is left."""
CONNECT_SECONDS = 2.0
MARGIN_SECONDS = 0.5
"""Kept back from the message's deadline to answer the customer after the call."""
MIN_START_SECONDS = 0.5
"""A call that cannot get this much time does not start (BackendBusy: retried as a whole)."""
READ_ATTEMPTS = 2
RETRY_PAUSE_SECONDS = 0.2
OOB = "oob"
"""car2go ignores callbacks passed here but requires the parameter to be "oob"; the callback URL
is the one registered for the consumer."""


@dataclass(frozen=True)
class TokenPair:
    token: str
    secret: str

    def __repr__(self) -> str:  # never show the secret half, nor the token, in a traceback
        return "TokenPair(<redacted>)"


class Car2goApi:
    def __init__(
        self,
        base_url: str,
        consumer_key: str,
        consumer_secret: str,
        loc: str,
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.consumer_key = consumer_key
        self._consumer_secret = consumer_secret
        self.loc = loc
        self.client = client or httpx.Client(
            limits=platform_limits(),
            headers={"Accept": "application/json"},
        )

    def close(self) -> None:
        self.client.close()

    # --- OAuth 1.0a token exchange (http://code.google.com/p/car2go/wiki/oauth) ---------------

    def request_token(self) -> TokenPair:
        auth = self._auth(redirect_uri=OOB)
        response = self._send("POST", REQUEST_TOKEN_PATH, {}, auth, read=False, op="reqtoken")
        return self._token_pair(response, op="reqtoken")

    def authorize_url(self, request_token: str) -> str:
        return str(httpx.URL(self.base_url + AUTHORIZE_PATH, params={"oauth_token": request_token}))

    def access_token(self, request: TokenPair, verifier: str) -> TokenPair:
        auth = self._auth(request, verifier=verifier)
        response = self._send("POST", ACCESS_TOKEN_PATH, {}, auth, read=False, op="accesstoken")
        return self._token_pair(response, op="accesstoken")

    # --- API v2.1 ---------------------------------------------------------------------------

    def get(self, resource: str, access: TokenPair, params: Mapping[str, str] | None = None) -> Any:
        """A protected read: `resource` like "bookings"; `loc` and `format` are added."""
        query = {"loc": self.loc, **(params or {}), "format": "json"}
        response = self._send(
            "GET", f"{API_PATH}/{resource}", query, self._auth(access), True, resource
        )
        return self._answer(response, op=f"GET {resource}")

    def write(
        self, method: str, resource: str, access: TokenPair, params: Mapping[str, str]
    ) -> Any:
        """A protected write (create, cancel): sent once, never tried again."""
        query = {**params, "format": "json"}
        op = f"{method} {resource.split('/')[0]}"
        response = self._send(
            method, f"{API_PATH}/{resource}", query, self._auth(access), False, op
        )
        return self._answer(response, op=op)

    def public(self, resource: str, params: Mapping[str, str] | None = None) -> Any:
        """A public read: the consumer key travels as a query parameter, unsigned."""
        query = {
            "loc": self.loc,
            **(params or {}),
            "oauth_consumer_key": self.consumer_key,
            "format": "json",
        }
        response = self._send("GET", f"{API_PATH}/{resource}", query, None, True, resource)
        # The public answers carry no `returnValue` (vehicles_v2_1's JSON example).
        return self._answer(response, op=f"GET {resource}", coded=False)

    # --- plumbing ---------------------------------------------------------------------------

    def _auth(
        self,
        token: TokenPair | None = None,
        *,
        verifier: str | None = None,
        redirect_uri: str | None = None,
    ) -> OAuth1Auth:
        return OAuth1Auth(
            client_id=self.consumer_key,
            client_secret=self._consumer_secret,
            token=token.token if token else None,
            token_secret=token.secret if token else None,
            redirect_uri=redirect_uri,
            verifier=verifier,
        )

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        auth: OAuth1Auth | None,
        read: bool,
        op: str,
    ) -> httpx.Response:
        attempts = READ_ATTEMPTS if read else 1
        for attempt in range(1, attempts + 1):
            timeout = _timeout()
            try:
                response = self.client.request(
                    method, self.base_url + path, params=params, auth=auth, timeout=timeout
                )
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                failure: BackendUnavailable = BackendUnavailable(f"car2go {op}: cannot connect")
                log.warning("car2go %s: %s", op, type(exc).__name__)
            except httpx.TransportError as exc:
                log.warning("car2go %s: %s", op, type(exc).__name__)
                if not read:
                    raise OutcomeUnknown(f"car2go {op}: no answer") from None
                failure = BackendUnavailable(f"car2go {op}: no answer")
            else:
                if response.status_code < 500 or "oauth_problem" in response.text:
                    return response
                log.warning("car2go %s: HTTP %s", op, response.status_code)
                if not read and response.status_code not in (500, 503):
                    raise OutcomeUnknown(f"car2go {op}: HTTP {response.status_code}")
                failure = BackendUnavailable(f"car2go {op}: HTTP {response.status_code}")
            if (
                attempt == attempts
                or deadline.remaining() < MIN_START_SECONDS + RETRY_PAUSE_SECONDS
            ):
                raise failure
            time.sleep(RETRY_PAUSE_SECONDS)
        raise AssertionError("unreachable")

    def _token_pair(self, response: httpx.Response, op: str) -> TokenPair:
        if response.status_code != 200:
            raise oauth_error_for(response.status_code, _problem(response), operation=op)
        fields = dict(parse_qsl(response.text))
        token, secret = fields.get("oauth_token"), fields.get("oauth_token_secret")
        if not token or not secret:
            log.error("car2go %s: answer without a token pair", op)
            raise BackendUnavailable(f"car2go {op}: malformed answer")
        return TokenPair(token, secret)

    def _answer(self, response: httpx.Response, op: str, coded: bool = True) -> Any:
        if response.status_code != 200:
            problem = _problem(response)
            if problem or response.status_code in (401, 403):
                raise oauth_error_for(response.status_code, problem, operation=op)
            log.error("car2go %s: HTTP %s", op, response.status_code)
            raise BackendUnavailable(f"car2go {op}: HTTP {response.status_code}")
        try:
            body = response.json()
            if not isinstance(body, dict):
                raise TypeError("not an object")
            code = int(body["returnValue"]["code"]) if coded or "returnValue" in body else OK
        except (ValueError, KeyError, TypeError):
            log.error("car2go %s: malformed answer", op)
            raise BackendUnavailable(f"car2go {op}: malformed answer") from None
        if code != OK:
            raise error_for(code, operation=op)
        return body


def _timeout() -> httpx.Timeout:
    left = deadline.remaining() - MARGIN_SECONDS
    if left < MIN_START_SECONDS:
        raise BackendBusy("no time left to call car2go")
    total = min(MAX_ATTEMPT_SECONDS, left)
    return httpx.Timeout(total, connect=min(CONNECT_SECONDS, total), pool=min(1.0, total))


def _problem(response: httpx.Response) -> str | None:
    """`oauth_problem` from the body (form-encoded) or the WWW-Authenticate header."""
    sources = [response.text, response.headers.get("WWW-Authenticate", "")]
    for source in sources:
        for part in source.replace(",", "&").split("&"):
            name, _, value = part.strip().partition("=")
            if name.strip().lower().endswith("oauth_problem"):
                return value.strip().strip('"') or None
    return None
