"""The webhook app factory: settings, runtime (Redis, backend, engine), blueprints, errors."""

from __future__ import annotations

import atexit
import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.backends.protocol import BackendBusy
from bot.config import Settings
from bot.runtime import Runtime, build_runtime
from bot.sessions import ConversationBusy, StoreUnavailable
from webhooks import health, telegram, twilio
from webhooks.bot_api import BotApi
from webhooks.resources import EXTENSION, Resources

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    if settings is None:
        settings = runtime.settings if runtime is not None else Settings.from_env()
    owns_runtime = runtime is None
    if runtime is None:
        runtime = build_runtime(settings)

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    # Heroku's router (one proxy hop) says the client's scheme, host and port in X-Forwarded-*;
    # Twilio signs the URL it called, so the app must see that URL.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1)  # type: ignore[method-assign]

    bot_api = None
    if settings.telegram_bot_token:
        bot_api = BotApi(settings.telegram_api_url, settings.telegram_bot_token)
    resources = Resources(settings, runtime, bot_api, owns_runtime)
    app.extensions[EXTENSION] = resources
    atexit.register(resources.close)

    app.register_blueprint(telegram.blueprint)
    app.register_blueprint(twilio.blueprint)
    app.register_blueprint(health.blueprint)
    register_error_handlers(app)
    return app


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
        return jsonify(error="Internal Server Error", status=500), 500
