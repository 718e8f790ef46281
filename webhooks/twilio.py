"""POST /twilio/sms: SMS and WhatsApp messages from Twilio, answered with TwiML.

Twilio signs the URL it called plus the POST parameters with the account's auth token
(https://www.twilio.com/docs/usage/webhooks/webhooks-security).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Blueprint, Response, abort, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot.channels.sms import render_text
from bot.messages import Incoming
from webhooks.resources import current

log = logging.getLogger(__name__)

blueprint = Blueprint("twilio", __name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
WHATSAPP = "whatsapp:"


@blueprint.post("/twilio/sms")
def sms() -> Response:
    settings = current().settings
    if not settings.twilio_auth_token:
        abort(404)
    validator = RequestValidator(settings.twilio_auth_token)
    signature = request.headers.get(SIGNATURE_HEADER, "")
    # request.form keeps repeated keys; the validator signs every value of each, as Twilio does.
    if not signature or not validator.validate(
        signed_url(settings.public_url), request.form, signature
    ):
        abort(403)

    incoming = incoming_from_form(request.form)
    if incoming is None:
        log.warning("twilio: request without From or MessageSid ignored")
        return twiml(MessagingResponse())
    replies, _ = current().runtime.engine.handle_delivery(incoming)
    answer = MessagingResponse()
    body = render_text(replies)
    if body:
        answer.message(body)
    log.info("conversation %s: message %s answered", incoming.key, incoming.delivery_id)
    return twiml(answer)


def signed_url(public_url: str | None) -> str:
    """The URL Twilio called: PUBLIC_URL's origin when set, else what the proxy reported."""
    if public_url:
        return public_url + request.full_path.removesuffix("?")
    return request.url


def incoming_from_form(form: Mapping[str, str]) -> Incoming | None:
    """The message in Twilio's webhook parameters; None without a sender or message id.
    https://www.twilio.com/docs/messaging/guides/webhook-request"""
    sender = form.get("From", "").strip()
    sid = form.get("MessageSid", "").strip()
    if not sender or not sid:
        return None
    channel = "whatsapp" if sender.startswith(WHATSAPP) else "sms"
    number = sender.removeprefix(WHATSAPP)
    try:
        media = int(form.get("NumMedia", "0") or 0)
    except ValueError:
        media = 0
    return Incoming(
        channel=channel,
        conversation=number.removeprefix("+"),
        text=form.get("Body", ""),
        phone=number,
        message_id=sid,
        delivery_id=sid,
        has_media=media > 0,
    )


def twiml(answer: MessagingResponse) -> Response:
    return Response(str(answer), status=200, mimetype="text/xml")
