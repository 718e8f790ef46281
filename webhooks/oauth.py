"""GET /oauth/car2go/callback: car2go sends the customer back here after they granted access.

car2go ignores callbacks passed with the request token (it must be "oob") and redirects to the
callback URL registered for the consumer: register `{PUBLIC_URL}/oauth/car2go/callback`. The
route takes the pending request (bound to the chat the link was sent to; once only), exchanges
the verifier for the access token pair, hands the conversation key and Customer to
`on_connected` (which keeps them in that chat's session and tells the chat "You're connected"),
and shows the customer a small page saying to go back to the chat.

Wired in create_app when BOOKING_BACKEND=car2go, with `webhooks.connected.ChatConnector`.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from typing import Protocol

from flask import Blueprint, Flask, Response, current_app, request

from bot.backends.protocol import (
    BackendUnavailable,
    Customer,
    InvalidCredentials,
    LinkLogin,
    LoginExpired,
)
from bot.messages import chat_hash
from bot.oauth_requests import OAuthRequests
from bot.sessions import StoreUnavailable

log = logging.getLogger(__name__)

EXTENSION = "oauth_callback"
CALLBACK_PATH = "/oauth/car2go/callback"

blueprint = Blueprint("oauth", __name__)


class OnConnected(Protocol):
    def __call__(
        self, conversation_key: str, customer: Customer, *, reply_from: str | None
    ) -> None:
        """Log the conversation in as `customer` and tell the chat it is connected (Bot API
        sendMessage on Telegram; Twilio's REST client on SMS/WhatsApp, from `reply_from`)."""
        ...


@dataclass
class OAuthCallback:
    requests: OAuthRequests
    backend: LinkLogin
    on_connected: OnConnected
    platform: str = "car2go"


def register(app: Flask, callback: OAuthCallback) -> None:
    app.extensions[EXTENSION] = callback
    if blueprint.name not in app.blueprints:
        app.register_blueprint(blueprint)


CONNECTED = "You're connected", "You're connected to {platform}. Go back to the chat to continue."
EXPIRED = (
    "This link has expired",
    "This link was already used or has expired. Go back to the chat and ask for a new one.",
)
INCOMPLETE = "Something is missing", "This page needs the link {platform} sent you back with."
REFUSED = (
    "Not connected",
    "{platform} did not confirm the connection. Go back to the chat and try again.",
)
LATER = (
    "Please try again",
    "{platform} can't be reached right now. Reload this page in a minute.",
)


@blueprint.get(CALLBACK_PATH)
def car2go_callback() -> Response:
    callback: OAuthCallback = current_app.extensions[EXTENSION]
    token = request.args.get("oauth_token", "").strip()
    verifier = request.args.get("oauth_verifier", "").strip()
    if not token or not verifier or len(token) > 200 or len(verifier) > 200:
        return _page(400, INCOMPLETE, callback)
    try:
        pending = callback.requests.take(token)
    except StoreUnavailable:
        log.warning("oauth callback: store unavailable")
        return _page(503, LATER, callback)
    if pending is None:
        log.info("oauth callback: unknown, expired or used request")
        return _page(410, EXPIRED, callback)
    try:
        customer = callback.backend.finish_authorization(pending.authorization, verifier)
    except BackendUnavailable:
        callback.requests.put_back(pending)  # a reload tries again
        return _page(503, LATER, callback)
    except LoginExpired:
        return _page(410, EXPIRED, callback)
    except InvalidCredentials:
        log.warning("oauth callback: %s refused the verifier", callback.platform)
        return _page(400, REFUSED, callback)
    try:
        callback.on_connected(pending.conversation, customer, reply_from=pending.reply_from)
    except Exception:
        # The access is granted but the chat could not take it: the customer asks for a new link.
        log.exception("oauth callback: the conversation could not be connected")
        return _page(503, REFUSED, callback)
    log.info("oauth callback: conversation %s connected", chat_hash(pending.conversation))
    return _page(200, CONNECTED, callback)


def _page(status: int, text: tuple[str, str], callback: OAuthCallback) -> Response:
    title, body = (
        html.escape(part.format(platform=callback.platform), quote=False) for part in text
    )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{title}</title></head><body><h1>{title}</h1><p>{body}</p></body></html>"
    )
    response = Response(page, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
