"""POST /telegram/webhook: verify the secret token, parse the update, converse, answer.

Telegram runs the method in the response body only after the response arrives, so anything sent
through the Bot API during the request reaches the chat first. The last message therefore rides
in the body and everything before it is sent here, in order: a single plain answer costs no
outbound call at all. https://core.telegram.org/bots/api#making-requests-when-getting-updates
"""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Response, abort, jsonify, request
from telegram import Update

from bot.channels.telegram import callback_query_id, incoming_from_update, render_methods
from webhooks.resources import current

log = logging.getLogger(__name__)

blueprint = Blueprint("telegram", __name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@blueprint.post("/telegram/webhook")
def webhook() -> Response:
    resources = current()
    settings = resources.settings
    if not settings.telegram_bot_token or resources.bot_api is None:
        abort(404)
    secret = settings.telegram_webhook_secret
    given = request.headers.get(SECRET_HEADER, "")
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        abort(403)

    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        log.warning("telegram: unreadable update body ignored")
        return ok()
    try:
        # No bot object: nothing here uses the update's shortcut methods.
        update = Update.de_json(data, None)
    except Exception:  # any shape python-telegram-bot cannot read: never worth a retry
        log.warning("telegram: malformed update %r ignored", data.get("update_id"))
        return ok()
    incoming = incoming_from_update(update)
    if incoming is None:
        kinds = sorted(k for k in data if k != "update_id")
        log.info("telegram: update %s (%s) not handled", update.update_id, ",".join(kinds))
        return ok()

    replies, replayed = resources.runtime.engine.handle_delivery(incoming)
    methods = render_methods(replies, incoming, callback_query_id=callback_query_id(update))
    if not methods:
        return ok()
    body_index = last_send_message(methods)
    if not replayed:
        for method in methods[:body_index] + methods[body_index + 1 :]:
            resources.bot_api.call(method, incoming.key)
    log.info("conversation %s: update %s answered", incoming.key, update.update_id)
    return jsonify(methods[body_index])


def last_send_message(methods: list[dict]) -> int:
    for index in range(len(methods) - 1, -1, -1):
        if methods[index]["method"] == "sendMessage":
            return index
    return len(methods) - 1


def ok() -> Response:
    return Response(status=200)
