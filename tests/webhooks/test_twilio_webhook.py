"""POST /twilio/sms through Flask's test client: signatures, TwiML, SMS and WhatsApp."""

from __future__ import annotations

import logging

import pytest
from werkzeug.datastructures import MultiDict

from bot.channels.sms import is_gsm7, segments
from bot.config import Settings
from bot.messages import chat_hash
from tests.fakes.twilio import sign, sms_params
from tests.webhooks.conftest import BOTH_STORES, SMS_URL, SmsPoster, message_text
from webhooks.app import create_app

SENDER = "+447700900123"
DEMO_PHONE = "447700900123"


def session_of(runtime, channel: str = "sms"):
    return runtime.store.load(f"{channel}:{DEMO_PHONE}")


def assert_cheap(text: str) -> None:
    assert text
    assert is_gsm7(text), text
    assert segments(text) <= 2, (segments(text), text)


@BOTH_STORES
def test_login_and_list_by_sms(sms, runtime):
    welcome = sms.send(SENDER, "hi")
    assert "reply with your PIN" in welcome
    assert_cheap(welcome)

    menu = sms.send(SENDER, "1234")
    assert "you're logged in" in menu
    assert "\n1 My bookings" in menu
    assert "1234" not in menu
    assert_cheap(menu)

    listing = sms.send(SENDER, "1")
    assert listing.startswith("Your bookings")
    assert "\n1 #" in listing
    assert_cheap(listing)
    assert session_of(runtime).state == "bookings"

    more = sms.send(SENDER, "MORE")
    assert more.startswith("Your bookings")
    assert_cheap(more)


def test_twiml_is_one_message_as_xml(sms):
    response = sms.post(sms_params(SENDER, "hi"))
    assert response.status_code == 200
    assert response.content_type == "text/xml; charset=utf-8"
    assert response.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?><Response><Message>')


@BOTH_STORES
def test_whatsapp_is_its_own_conversation(sms, runtime):
    sms.send(SENDER, "hi")
    sms.send(SENDER, "1234")
    assert session_of(runtime, "sms").logged_in

    on_whatsapp = sms.send(f"whatsapp:{SENDER}", "BOOKINGS")
    assert "PIN" in on_whatsapp
    assert not session_of(runtime, "whatsapp").logged_in
    assert session_of(runtime, "whatsapp").identity == DEMO_PHONE
    assert "you're logged in" in sms.send(f"whatsapp:{SENDER}", "1234")
    assert session_of(runtime, "sms").logged_in


def test_a_picture_without_text_is_answered_politely(sms):
    sms.send(SENDER, "hi")
    sms.send(SENDER, "1234")
    assert "only read text" in sms.send(SENDER, "", media=1)


@pytest.mark.parametrize(
    "signature",
    [None, "", "bm90IGEgc2lnbmF0dXJl", "forged"],
    ids=["missing", "empty", "wrong", "garbage"],
)
def test_a_missing_or_forged_signature_is_refused(client, runtime, signature):
    headers = {"X-Twilio-Signature": signature} if signature is not None else {}
    response = client.post(SMS_URL, data=sms_params(SENDER, "hi"), headers=headers)
    assert response.status_code == 403
    assert session_of(runtime).state == "start"


def test_a_signature_for_other_parameters_is_refused(client, runtime):
    params = sms_params(SENDER, "hi")
    signature = sign(SMS_URL, params)
    tampered = {**params, "From": "+15555550123"}
    response = client.post(SMS_URL, data=tampered, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


def test_a_signature_made_with_another_token_is_refused(client):
    params = sms_params(SENDER, "hi")
    signature = sign(SMS_URL, params, token="someone-elses-token")
    response = client.post(SMS_URL, data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


def test_behind_the_proxy_the_https_url_is_what_was_signed(sms):
    params = sms_params(SENDER, "hi")
    https = "https://localhost/twilio/sms"
    forwarded = {"X-Forwarded-Proto": "https"}
    assert sms.post(params, signed_for=https, headers=forwarded).status_code == 200
    # the same signature without the proxy's word for the scheme does not match
    assert sms.post(params, signed_for=https).status_code == 403


def test_the_host_and_forwarded_port_are_part_of_the_url(sms):
    params = sms_params(SENDER, "hi")
    public = "https://bot.example.com:8443/twilio/sms"
    forwarded = {
        "Host": "bot.example.com",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Port": "8443",
        "X-Forwarded-For": "203.0.113.9",
    }
    assert sms.post(params, signed_for=public, headers=forwarded).status_code == 200


def test_a_forged_forwarded_host_is_not_trusted(sms):
    """Heroku's router never sets X-Forwarded-Host, so only a client could: a request Twilio
    signed for another app (same account) cannot be replayed here by naming that app's host."""
    params = sms_params(SENDER, "hi")
    elsewhere = "https://staging.example.com/twilio/sms"
    forged = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "staging.example.com"}
    assert sms.post(params, signed_for=elsewhere, headers=forged).status_code == 403


def test_public_url_decides_the_signed_url(settings, runtime):
    public = Settings(**{**settings.__dict__, "public_url": "https://bot.example.com"})
    poster = SmsPoster(create_app(public, runtime).test_client())
    params = sms_params(SENDER, "hi")
    url = "http://localhost/twilio/sms?source=sms"
    signed = "https://bot.example.com/twilio/sms?source=sms"
    assert poster.post(params, url=url, signed_for=signed).status_code == 200
    assert poster.post(params, url=url).status_code == 403
    bare = "https://bot.example.com/twilio/sms"
    params = sms_params(SENDER, "hi")
    assert (
        poster.post(params, url="http://localhost/twilio/sms", signed_for=bare).status_code == 200
    )


def test_repeated_parameters_are_checked_as_twilio_signs_them(client):
    params = [*sms_params(SENDER, "hi").items(), ("MediaUrl", "b"), ("MediaUrl", "a")]
    signature = sign(SMS_URL, params)
    headers = {"X-Twilio-Signature": signature}
    assert client.post(SMS_URL, data=MultiDict(params), headers=headers).status_code == 200
    first_only = [p for p in params if p != ("MediaUrl", "a")]
    response = client.post(SMS_URL, data=MultiDict(first_only), headers=headers)
    assert response.status_code == 403


@BOTH_STORES
def test_a_delivery_posted_three_times_runs_once(sms, runtime):
    sms.send(SENDER, "hi")
    wrong = sms_params(SENDER, "9999")
    responses = [sms.post(wrong) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert responses[0].data == responses[1].data == responses[2].data
    assert "don't match" in message_text(responses[0])
    failures = runtime.store.keys.failures(f"id:{DEMO_PHONE}")
    assert runtime.store.client.zcard(failures) == 1


@pytest.mark.parametrize("missing", ["From", "MessageSid"])
def test_a_request_without_sender_or_id_is_acknowledged_with_empty_twiml(
    sms, runtime, missing, caplog
):
    params = sms_params(SENDER, "hi")
    params[missing] = ""
    response = sms.post(params)
    assert response.status_code == 200
    assert message_text(response) == ""
    assert b"<Response />" in response.data
    assert session_of(runtime).state == "start"
    assert "without From or MessageSid" in caplog.text


def test_without_an_auth_token_the_endpoint_does_not_exist(runtime):
    client = create_app(Settings(), runtime).test_client()
    params = sms_params(SENDER, "hi")
    response = client.post(
        SMS_URL, data=params, headers={"X-Twilio-Signature": sign(SMS_URL, params)}
    )
    assert response.status_code == 404


def test_logs_name_the_conversation_by_its_hash_never_the_number_or_pin(sms, caplog):
    caplog.set_level(logging.DEBUG)
    sms.send(SENDER, "hi")
    sms.send(SENDER, "1234")
    tag = chat_hash(f"sms:{DEMO_PHONE}")
    assert f"conversation {tag}: logged in as customer" in caplog.text
    assert f"sms message chat={tag} state=menu" in caplog.text
    assert DEMO_PHONE not in caplog.text and DEMO_PHONE[-6:] not in caplog.text
    assert "1234" not in caplog.text
