"""Webhook registration against the fake Bot API, and Twilio number configuration against a
fake of Twilio's REST API (https://www.twilio.com/docs/phone-numbers/api/incomingphonenumber-resource)."""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qsl, urlsplit

import pytest
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.rest import Client

from bot import admin
from bot.config import TWILIO_CONNECTION_OVERRIDES, Settings
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN
from tests.webhooks.conftest import BOT_TOKEN

NUMBER_SID = "PN" + "1" * 32


def test_set_webhook_registers_url_secret_and_updates(settings, bot_api):
    said = admin.telegram_set_webhook(settings, "https://bot.example.com")
    assert "https://bot.example.com/telegram/webhook" in said
    [call] = bot_api.methods("setWebhook")
    assert call.token == BOT_TOKEN
    assert call.params["url"] == "https://bot.example.com/telegram/webhook"
    assert call.params["secret_token"] == settings.telegram_webhook_secret
    assert json.loads(call.params["allowed_updates"]) == ["message", "callback_query"]
    assert json.loads(call.params["drop_pending_updates"]) is False

    info = admin.telegram_webhook_info(settings)
    assert "url: https://bot.example.com/telegram/webhook" in info
    assert "message, callback_query" in info


def test_a_full_webhook_url_is_used_as_given(settings, bot_api):
    admin.telegram_set_webhook(settings, "https://bot.example.com/hooks/tg")
    assert bot_api.methods("setWebhook")[0].params["url"] == "https://bot.example.com/hooks/tg"


@pytest.mark.parametrize(
    "changes",
    [
        {"telegram_bot_token": None},
        {"telegram_webhook_secret": None},
        {"telegram_webhook_secret": "no spaces"},
    ],
)
def test_set_webhook_needs_token_and_a_valid_secret(settings, bot_api, changes):
    with pytest.raises(ValueError):
        admin.telegram_set_webhook(
            Settings(**{**settings.__dict__, **changes}), "https://x.example"
        )
    assert bot_api.methods("setWebhook") == []


class FakeTwilioRest(HttpClient):
    """Answers the two IncomingPhoneNumbers calls as Twilio's REST API documents them."""

    def __init__(self, numbers: dict[str, str]) -> None:
        super().__init__(logging.getLogger("fake-twilio"), is_async=False)
        self.numbers = numbers  # phone number -> sid
        self.updates: list[tuple[str, dict]] = []

    def request(
        self,
        method,
        uri,
        params=None,
        data=None,
        headers=None,
        auth=None,
        timeout=None,
        allow_redirects=False,
    ):
        assert auth == (ACCOUNT_SID, AUTH_TOKEN)
        path = urlsplit(uri).path
        base = f"/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers"
        if method == "GET" and path == base + ".json":
            wanted = (params or {}).get("PhoneNumber")
            found = [self._number(n, s) for n, s in self.numbers.items() if n == wanted]
            return Response(
                200,
                json.dumps(
                    {
                        "incoming_phone_numbers": found,
                        "next_page_uri": None,
                        "page": 0,
                        "page_size": 1,
                    }
                ),
            )
        if method == "POST" and path.startswith(base + "/"):
            sid = path.removeprefix(base + "/").removesuffix(".json")
            self.updates.append((sid, dict(data or {})))
            number = next(n for n, s in self.numbers.items() if s == sid)
            return Response(
                200, json.dumps({**self._number(number, sid), "sms_url": data["SmsUrl"]})
            )
        return Response(404, json.dumps({"code": 20404, "message": "not found", "status": 404}))

    @staticmethod
    def _number(number: str, sid: str) -> dict:
        return {
            "sid": sid,
            "account_sid": ACCOUNT_SID,
            "phone_number": number,
            "sms_url": "",
            "sms_method": "POST",
        }


def twilio_client(fake: FakeTwilioRest) -> Client:
    return Client(ACCOUNT_SID, AUTH_TOKEN, http_client=fake)


def test_configure_number_points_its_sms_webhook_at_the_app(settings):
    fake = FakeTwilioRest({"+447700900999": NUMBER_SID})
    said = admin.twilio_configure_number(
        settings, "07700 900999", "https://bot.example.com", client=twilio_client(fake)
    )
    url = f"https://bot.example.com/twilio/sms#{TWILIO_CONNECTION_OVERRIDES}"
    assert fake.updates == [(NUMBER_SID, {"SmsUrl": url, "SmsMethod": "POST"})]
    assert "+447700900999" in said


def test_configure_number_asks_twilio_to_retry_a_503(settings):
    """rc (retry count) and rp=all (retry on any failure, 5xx included) in the fragment."""
    fake = FakeTwilioRest({"+447700900999": NUMBER_SID})
    admin.twilio_configure_number(
        settings, "+447700900999", "https://bot.example.com", client=twilio_client(fake)
    )
    [(_, data)] = fake.updates
    overrides = dict(parse_qsl(urlsplit(data["SmsUrl"]).fragment))
    assert int(overrides["rc"]) >= 1
    assert overrides["rp"] == "all"
    assert int(overrides["tt"]) <= 15000


def test_configure_number_refuses_a_number_of_another_account(settings):
    fake = FakeTwilioRest({"+447700900999": NUMBER_SID})
    with pytest.raises(ValueError, match="not a number of this Twilio account"):
        admin.twilio_configure_number(
            settings, "+15555550123", "https://bot.example.com", client=twilio_client(fake)
        )
    assert fake.updates == []


def test_configure_number_needs_credentials():
    with pytest.raises(ValueError, match="TWILIO_ACCOUNT_SID"):
        admin.twilio_configure_number(Settings(), "+447700900999", "https://bot.example.com")


def test_a_url_must_be_http():
    with pytest.raises(ValueError):
        admin.with_path("ftp://bot.example.com", "/twilio/sms")
