"""What reaches the SMS URL besides customers' messages: delivery reports, senders that are
not phone numbers, and requests signed over a URL with connection overrides."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from bot.config import TWILIO_CONNECTION_OVERRIDES, Settings
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, new_sid, sms_params
from tests.webhooks.conftest import SMS_URL, message_text
from webhooks.app import create_app

SENDER = "+447700900123"


def status_callback(status: str) -> dict[str, str]:
    """A delivery report as Twilio posts it for a message the business sent
    (https://www.twilio.com/docs/messaging/guides/track-outbound-message-status)."""
    sid = new_sid()
    return {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "From": OUR_NUMBER,
        "To": SENDER,
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
    }


@pytest.mark.parametrize("status", ["sent", "delivered", "failed", "undelivered"])
def test_a_status_callback_gets_an_empty_answer_and_opens_no_conversation(sms, runtime, status):
    response = sms.post(status_callback(status))
    assert response.status_code == 200
    assert b"<Response />" in response.data
    assert runtime.store.client.keys("*") == []


@pytest.mark.parametrize(
    "sender",
    ["12345", "VERIFY", "MyBrand", "+12345", "88022", "+44770090012345678", "whatsapp:VERIFY"],
)
def test_a_sender_that_is_not_a_phone_number_gets_no_reply_and_no_login(sms, runtime, sender):
    for text in ("hi", "+44 7700 900123", "1234"):
        response = sms.post(sms_params(sender, text))
        assert response.status_code == 200
        assert message_text(response) == ""
    assert runtime.store.client.keys("*") == []


def test_a_customer_number_still_gets_its_answers(sms):
    assert "PIN" in sms.send(SENDER, "hi")
    assert "PIN" in sms.send(f"whatsapp:{SENDER}", "hi")


def signature(url: str, params: dict[str, str]) -> str:
    return RequestValidator(AUTH_TOKEN).compute_signature(url, params)


def test_twilio_signs_the_url_with_the_connection_overrides_fragment(client):
    """Connection overrides are a fragment of the configured URL: it never reaches the app, but
    Twilio signs the URL as configured, fragment included."""
    params = sms_params(SENDER, "hi")
    with_overrides = f"{SMS_URL}#{TWILIO_CONNECTION_OVERRIDES}"
    headers = {"X-Twilio-Signature": signature(with_overrides, params)}
    response = client.post(SMS_URL, data=params, headers=headers)
    assert response.status_code == 200
    assert "PIN" in message_text(response)


def test_a_number_configured_without_overrides_is_signed_over_the_plain_url(client):
    params = sms_params(SENDER, "hi")
    headers = {"X-Twilio-Signature": signature(SMS_URL, params)}
    assert client.post(SMS_URL, data=params, headers=headers).status_code == 200


def test_a_signature_over_other_overrides_is_refused(client):
    params = sms_params(SENDER, "hi")
    headers = {"X-Twilio-Signature": signature(f"{SMS_URL}#rc=5&rp=4xx", params)}
    assert client.post(SMS_URL, data=params, headers=headers).status_code == 403


def test_overrides_set_by_hand_are_named_in_the_setting(settings, runtime):
    custom = Settings(**{**settings.__dict__, "twilio_connection_overrides": "rc=3&rp=all"})
    client = create_app(custom, runtime).test_client()
    params = sms_params(SENDER, "hi")
    headers = {"X-Twilio-Signature": signature(f"{SMS_URL}#rc=3&rp=all", params)}
    assert client.post(SMS_URL, data=params, headers=headers).status_code == 200


def test_a_signature_over_the_url_with_its_default_port_is_accepted(client):
    """Twilio's signing has included the port or not: the library's validation tries both when
    the URL as it stands does not match."""
    params = sms_params(SENDER, "hi")
    with_port = SMS_URL.replace("://localhost/", "://localhost:80/")
    headers = {"X-Twilio-Signature": signature(with_port, params)}
    response = client.post(SMS_URL, data=params, headers=headers)
    assert response.status_code == 200
    assert "PIN" in message_text(response)


def test_a_signature_that_is_not_ascii_is_refused(client):
    params = sms_params(SENDER, "hi")
    headers = {"X-Twilio-Signature": "sïgnatüre=="}
    assert client.post(SMS_URL, data=params, headers=headers).status_code == 403


def test_parameters_sent_in_another_form_are_refused(client):
    """Twilio posts application/x-www-form-urlencoded: the same parameters as JSON, or a body
    that is not UTF-8, carry no parameters the signature could be over."""
    params = sms_params(SENDER, "hi")
    headers = {"X-Twilio-Signature": signature(SMS_URL, params)}
    as_json = client.post(SMS_URL, json=params, headers=headers)
    assert as_json.status_code == 403
    latin1 = client.post(
        SMS_URL,
        data="Body=caf\xe9".encode("latin-1"),
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert latin1.status_code == 403
