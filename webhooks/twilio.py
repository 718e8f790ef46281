"""POST /twilio/sms: SMS and WhatsApp messages from Twilio, answered with TwiML.

Twilio signs the URL it called plus the POST parameters with the account's auth token
(https://www.twilio.com/docs/usage/webhooks/webhooks-security). With connection overrides
(https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides) the URL configured
carries a fragment (`#rc=3&rp=all`) that never reaches us but is part of the URL Twilio signs,
so a signature over the public URL plus the fragment `booking-bot twilio configure-number`
sets is accepted, as is one over the plain URL (a number configured without overrides).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from urllib.parse import parse_qsl

from flask import Blueprint, Response, abort, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.datastructures import MultiDict

from bot.channels.sms import render_text
from bot.conversation.profile import profile_of
from bot.messages import Incoming
from bot.phones import normalize_phone
from webhooks import logs
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
    signature = request.headers.get(SIGNATURE_HEADER, "")
    url = signed_url(settings.public_url)
    candidates = [url, f"{url}#{settings.twilio_connection_overrides}"]
    form = posted_form()
    if not signed_by_twilio(settings.twilio_auth_token, candidates, form, signature):
        abort(403)

    if is_status_callback(form):
        log.info(
            "twilio: status %s of message %s (not a message to answer)",
            form.get("MessageStatus") or form.get("SmsStatus"),
            form.get("MessageSid"),
        )
        return twiml(MessagingResponse())
    with logs.handling("sms") as handled:
        incoming = incoming_from_form(form)
        if incoming is None:
            log.warning("twilio: request without From or MessageSid ignored")
            return twiml(MessagingResponse())
        handled.channel = incoming.channel
        handled.chat = incoming.tag
        if incoming.phone is None:
            # A short code, an alphanumeric sender or junk: nothing to log in with, and no way
            # to answer it (a reply would be billed and go nowhere).
            log.info(
                "twilio: message %s from a sender that is not a phone number", incoming.delivery_id
            )
            handled.outcome = "not-a-phone-number"
            return twiml(MessagingResponse())
        delivered = current().runtime.engine.handle_delivery(incoming)
        handled.state = delivered.state
        handled.outcome = "replayed" if delivered.replayed else "answered"
        answer = MessagingResponse()
        body = render_text(delivered.replies, profile_of(incoming.channel))
        if body:
            answer.message(body)
        return twiml(answer)


FORM = "application/x-www-form-urlencoded"


def posted_form() -> MultiDict[str, str]:
    """Twilio's parameters, every value of a repeated key kept, as Twilio signs them.

    Read as werkzeug reads an urlencoded form (`parse_qsl`, blank values kept) without its
    general-purpose form machinery, which took half the CPU of reading a message's parameters;
    the body is already capped (MAX_BODY_BYTES). Another content type, or a body that is not
    UTF-8, has no parameters: its signature cannot match."""
    if request.mimetype != FORM:
        return MultiDict()
    try:
        text = request.get_data(cache=False).decode()
    except UnicodeDecodeError:
        return MultiDict()
    return MultiDict(parse_qsl(text, keep_blank_values=True))


def signed_by_twilio(
    auth_token: str, urls: list[str], form: Mapping[str, str], signature: str
) -> bool:
    """Whether `signature` is Twilio's over one of `urls` and the form.

    A genuine request is signed over one of the URLs as they stand: one HMAC each, compared in
    constant time. Only when none matches does the library's `validate` try each URL with and
    without its port, as Twilio's signing has differed there (two more HMACs per URL)."""
    if not signature:
        return False
    validator = RequestValidator(auth_token)
    given = signature.encode()
    if any(hmac.compare_digest(validator.compute_signature(u, form).encode(), given) for u in urls):
        return True
    return any(validator.validate(u, form, signature) for u in urls)


def signed_url(public_url: str | None) -> str:
    """The URL Twilio called: PUBLIC_URL's origin when set, else what the proxy reported."""
    if public_url:
        return public_url + request.full_path.removesuffix("?")
    return request.url


def is_status_callback(form: Mapping[str, str]) -> bool:
    """A delivery report about a message the business sent (sent, delivered, failed, ...),
    posted to the same URL: it has a status but no Body.
    https://www.twilio.com/docs/messaging/guides/track-outbound-message-status"""
    status = form.get("MessageStatus") or form.get("SmsStatus") or ""
    return "Body" not in form and status.lower() not in ("", "received")


def incoming_from_form(form: Mapping[str, str]) -> Incoming | None:
    """The message in Twilio's webhook parameters; None without a sender or message id.
    `phone` is None when the sender is not a valid phone number.
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
        text=message_text(form),
        phone=number if sender_number(number) else None,
        location=shared_location(form),
        message_id=sid,
        delivery_id=sid,
        has_media=media > 0,
        to=form.get("To", "").strip() or None,
    )


OPT_OUT_TYPES = {"STOP": "STOP", "START": "START", "HELP": "HELP"}
"""Twilio's Advanced Opt-Out names the keyword's kind in `OptOutType`, whatever word was sent
(https://www.twilio.com/docs/messaging/tutorials/advanced-opt-out): the bot reads the kind."""


def message_text(form: Mapping[str, str]) -> str:
    """What the customer said: the opt-out kind, a WhatsApp button's payload, or the Body."""
    opt_out = OPT_OUT_TYPES.get(form.get("OptOutType", "").strip().upper())
    if opt_out:
        return opt_out
    return form.get("ButtonPayload", "").strip() or form.get("Body", "")


def shared_location(form: Mapping[str, str]) -> tuple[float, float] | None:
    """A WhatsApp location pin (`Latitude`, `Longitude`), read as a Telegram location is."""
    try:
        latitude, longitude = float(form["Latitude"]), float(form["Longitude"])
    except (KeyError, ValueError):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return latitude, longitude


def sender_number(number: str) -> bool:
    """Twilio gives a phone sender in E.164 (`+447700900123`); anything else (`12345`,
    `VERIFY`, a short code) is not someone who can log in or be answered."""
    if not number.startswith("+") or not number[1:].isdigit():
        return False
    return normalize_phone(number) == number[1:]


def twiml(answer: MessagingResponse) -> Response:
    return Response(str(answer), status=200, mimetype="text/xml")
