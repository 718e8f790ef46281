"""The floor: the least a webhook app on this stack can do per message, to compare the bot with.

A bare Flask app on the bot's two webhook paths that parses the request, does one Redis GET and
one SET of the chat's key (the bot's session read and write) and answers a small body in the
platform's format: a `sendMessage` webhook answer for Telegram, TwiML for SMS. The benchmark
serves it with the same server command and the same Redis as the bot. It checks Telegram's secret
header (a string comparison) but not Twilio's signature, and has no booking backend, no session
model, no conversation: everything the bot costs above it is the bot's own.
"""

from __future__ import annotations

import hmac
import os
from typing import Any
from xml.sax.saxutils import escape

import redis
from flask import Flask, Response, abort, jsonify, request

SESSION_TTL_S = 3600
POOL_SIZE = 100
"""redis-py's default pool size, the bot's."""
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def create_app() -> Flask:
    app = Flask(__name__)
    # blocks for a connection rather than failing when a server runs more threads than the pool
    pool = redis.BlockingConnectionPool.from_url(
        os.environ["REDIS_URL"], max_connections=POOL_SIZE, timeout=5
    )
    store = redis.Redis(connection_pool=pool)
    secret = os.environ.get("TELEGRAM_WEBHOOK_SECRET", "")

    def seen(key: str) -> int:
        """One GET and one SET: the session read and write of a message."""
        previous = store.get(key)
        count = int(previous or 0) + 1
        store.set(key, count, ex=SESSION_TTL_S)
        return count

    @app.get("/healthz")
    def healthz() -> tuple[str, int]:
        return "ok", 200

    @app.post("/telegram/webhook")
    def telegram() -> Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), secret):
            abort(403)
        update: dict[str, Any] = request.get_json(force=True)
        message = update.get("message") or (update.get("callback_query") or {}).get("message")
        if not message:
            return jsonify({})
        chat_id = message["chat"]["id"]
        count = seen(f"floor:telegram:{chat_id}")
        return jsonify({"method": "sendMessage", "chat_id": chat_id, "text": f"Message {count}"})

    @app.post("/twilio/sms")
    def sms() -> Response:
        sender = request.form.get("From", "")
        count = seen(f"floor:sms:{sender}")
        body = f"<Response><Message>{escape(f'Message {count}')}</Message></Response>"
        return Response(body, mimetype="application/xml")

    return app
