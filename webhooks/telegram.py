"""POST /telegram/webhook: verify the secret token, parse the update, converse, answer.

Telegram runs the method in the response body only after the response arrives, so anything sent
through the Bot API during the request reaches the chat first. The last message therefore rides
in the body and everything before it is sent here, in order: a single plain answer costs no
outbound call at all. https://core.telegram.org/bots/api#making-requests-when-getting-updates

An update the bot cannot use is acknowledged (200) with a log line: a 5xx would only make
Telegram send it again and again. Only a store or backend that is down for now answers 503.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

import msgspec
from flask import Blueprint, Response, abort, request

from bot.channels.telegram import ParsedUpdate, parse_body, render_methods
from bot.messages import Incoming, Reply
from webhooks import logs
from webhooks.resources import Resources, current

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

    parsed = parse_body(request.get_data(cache=False))
    if parsed is None:
        log.warning("telegram: unreadable update body ignored")
        return ok()
    with logs.handling("telegram") as handled:
        if parsed.incoming is None:
            log.info("telegram: update %s (%s) not handled", parsed.update_id, parsed.kind)
            return answer(
                [acknowledge(parsed.callback_query_id)] if parsed.callback_query_id else []
            )
        handled.chat = parsed.incoming.tag
        if parsed.partial:
            log.info("telegram: update %s read in part (%s)", parsed.update_id, parsed.kind)
        delivered = resources.runtime.engine.handle_delivery(parsed.incoming)
        handled.state = delivered.state
        handled.outcome = "replayed" if delivered.replayed else "answered"
        return send(resources, parsed, parsed.incoming, delivered.replies, delivered.replayed)


def send(
    resources: Resources,
    parsed: ParsedUpdate,
    incoming: Incoming,
    replies: list[Reply],
    replayed: bool,
) -> Response:
    try:
        methods = render_methods(replies, incoming, callback_query_id=parsed.callback_query_id)
    except Exception:  # a reply that cannot be rendered must not become a stored, replayed 500
        log.exception("telegram: update %s: the replies could not be rendered", parsed.update_id)
        methods = [acknowledge(parsed.callback_query_id)] if parsed.callback_query_id else []
    assert resources.bot_api is not None
    # The PIN message goes with retries, and never in the body, where a failure would go
    # unnoticed. A replay makes no outbound calls: the first run made them.
    deletes = [m for m in methods if m["method"] == "deleteMessage"]
    methods = [m for m in methods if m["method"] != "deleteMessage"]
    if not replayed:
        for method in deletes:
            resources.bot_api.delete_message(method, incoming.key)
    if not methods:
        return ok()
    body_index = last_send_message(methods)
    if not replayed:
        for method in methods[:body_index] + methods[body_index + 1 :]:
            resources.bot_api.call(method, incoming.key)
    return answer([methods[body_index]])


def acknowledge(callback_query_id: str) -> dict[str, Any]:
    """Stops the button's spinner: every press is answered, even one the bot cannot use."""
    return {"method": "answerCallbackQuery", "callback_query_id": callback_query_id}


def last_send_message(methods: list[dict]) -> int:
    for index in range(len(methods) - 1, -1, -1):
        if methods[index]["method"] == "sendMessage":
            return index
    return len(methods) - 1


_json = msgspec.json.Encoder()


def answer(methods: list[dict[str, Any]]) -> Response:
    if not methods:
        return ok()
    return Response(_json.encode(methods[0]), status=200, mimetype="application/json")


def ok() -> Response:
    return Response(status=200)
