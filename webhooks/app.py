"""The webhook app factory: settings, runtime (Redis, backend, engine), blueprints, errors."""

from __future__ import annotations

import atexit
import logging

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.backends.protocol import BackendBusy, LinkLogin
from bot.config import Settings
from bot.runtime import Runtime, build_runtime
from bot.sessions import ConversationBusy, StoreUnavailable
from webhooks import health, logs, oauth, telegram, twilio
from webhooks.body import BodyLimit
from webhooks.bot_api import BotApi
from webhooks.connected import ChatConnector, TextSender
from webhooks.resources import EXTENSION, Resources

log = logging.getLogger(__name__)


class SharedStoreRequired(SystemExit):
    """Several worker processes would each keep their own in-memory sessions. A SystemExit, so
    the server's worker ends with this one line and no traceback."""


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    if settings is None:
        settings = runtime.settings if runtime is not None else Settings.from_env()
    logs.configure(settings.log_level)
    owns_runtime = runtime is None
    if runtime is None:
        require_shared_store(settings)
        runtime = build_runtime(settings)

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    # Heroku's router (one proxy hop) sets X-Forwarded-For, -Proto and -Port, and passes the
    # client's Host on; Twilio signs the URL it called, so the app must see that URL. It does
    # not set X-Forwarded-Host, so a client could: that header is never trusted (PUBLIC_URL,
    # when set, decides the host outright).
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=0, x_port=1)  # type: ignore[method-assign]
    app.wsgi_app = BodyLimit(app.wsgi_app, settings.max_body_bytes)  # type: ignore[method-assign]

    bot_api = None
    if settings.telegram_bot_token:
        bot_api = BotApi(settings.telegram_api_url, settings.telegram_bot_token)
    resources = Resources(settings, runtime, bot_api, owns_runtime)
    app.extensions[EXTENSION] = resources
    atexit.register(resources.close)

    app.register_blueprint(telegram.blueprint)
    app.register_blueprint(twilio.blueprint)
    app.register_blueprint(health.blueprint)
    if settings.booking_backend == "car2go" and isinstance(runtime.backend, LinkLogin):
        register_oauth_callback(app, settings, runtime, bot_api)
    register_error_handlers(app)
    return app


def register_oauth_callback(
    app: Flask, settings: Settings, runtime: Runtime, bot_api: BotApi | None
) -> None:
    """GET /oauth/car2go/callback: the customer comes back from car2go and the chat that asked
    is connected and told so."""
    assert isinstance(runtime.backend, LinkLogin)
    texts = None
    if settings.twilio_account_sid and settings.twilio_auth_token:
        texts = TextSender(settings)
    connector = ChatConnector(runtime.engine, bot_api, texts)
    oauth.register(app, oauth.OAuthCallback(runtime.links, runtime.backend, connector))


def require_shared_store(settings: Settings) -> None:
    """Refuse to serve from several processes without Redis: each would hold its own sessions
    and conversations would break at random."""
    if settings.web_concurrency > 1 and not settings.redis_url:
        raise SharedStoreRequired(
            f"booking-bot: WEB_CONCURRENCY is {settings.web_concurrency} but REDIS_URL is not set: "
            "set REDIS_URL (sessions must be shared by all worker processes) "
            "or WEB_CONCURRENCY=1"
        )


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return jsonify(error=error.name, status=error.code), error.code or 500

    @app.errorhandler(StoreUnavailable)
    @app.errorhandler(BackendBusy)
    @app.errorhandler(ConversationBusy)
    def retry_later(error: Exception):
        # Telegram delivers again after a 5xx (Twilio too, when its URL asks for retries); the
        # retry carries the same delivery id, so it runs once the store is back.
        log.warning("answering 503: %s: %s", type(error).__name__, error)
        response = jsonify(error="Service Unavailable", status=503)
        response.headers["Retry-After"] = "5"
        return response, 503

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unexpected error")
        if request.path == "/telegram/webhook":
            # A 5xx makes Telegram send the same update again and again: acknowledge it.
            return Response(status=200)
        if request.path == "/twilio/sms":
            return twilio.twiml(twilio.MessagingResponse())
        return jsonify(error="Internal Server Error", status=500), 500
