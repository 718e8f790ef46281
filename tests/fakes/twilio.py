"""Requests as Twilio sends them to an SMS webhook, signed with the account's auth token
(https://www.twilio.com/docs/messaging/guides/webhook-request)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
OUR_NUMBER = "+447700900999"

_sids = itertools.count(1)


def new_sid() -> str:
    return f"SM{next(_sids):032x}"


def sms_params(
    sender: str,
    body: str,
    *,
    sid: str | None = None,
    media: int = 0,
    to: str = OUR_NUMBER,
) -> dict[str, str]:
    sid = sid or new_sid()
    return {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "Body": body,
        "From": sender,
        "FromCountry": "GB",
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "NumMedia": str(media),
        "NumSegments": "1",
        "SmsStatus": "received",
        "To": f"whatsapp:{to}" if sender.startswith("whatsapp:") else to,
    }


def sign(
    url: str, params: dict[str, str] | Iterable[tuple[str, str]], token: str = AUTH_TOKEN
) -> str:
    """The X-Twilio-Signature Twilio would send for a POST of `params` to `url`."""
    items = params.items() if isinstance(params, dict) else params
    return RequestValidator(token).compute_signature(url, MultiDict(list(items)))
