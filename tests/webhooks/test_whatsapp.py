"""WhatsApp through POST /twilio/sms: every character kept, locations, buttons, opt-out kinds."""

from __future__ import annotations

from bot.config import Settings
from bot.runtime import build_runtime
from tests.fakes.twilio import sms_params
from tests.webhooks.conftest import SmsPoster
from webhooks.app import create_app

SENDER = "+447700900123"
WHATSAPP = f"whatsapp:{SENDER}"


def poster_for(settings: Settings, redis_client, backend, clock, **changes) -> SmsPoster:
    changed = Settings(**{**settings.__dict__, **changes})
    runtime = build_runtime(changed, redis_client=redis_client, backend=backend, clock=clock)
    return SmsPoster(create_app(changed, runtime).test_client())


def test_whatsapp_keeps_letters_that_sms_folds(settings, redis_client, backend, clock):
    poster = poster_for(settings, redis_client, backend, clock, business_name="Łódź Đaci Cabs")
    on_whatsapp = poster.send(WHATSAPP, "hi")
    on_sms = poster.send(SENDER, "hi")
    assert "Welcome to Łódź Đaci Cabs." in on_whatsapp
    assert "Łódź" not in on_sms and "Đaci" not in on_sms
    assert "Welcome to" in on_sms


def test_a_whatsapp_button_payload_is_read_as_what_the_customer_chose(sms):
    sms.send(WHATSAPP, "hi")
    sms.send(WHATSAPP, "1234")
    params = sms_params(WHATSAPP, "My bookings")
    params["ButtonPayload"] = "BOOKINGS"
    params["ButtonText"] = "My bookings"
    listed = sms.post(params)
    assert listed.status_code == 200
    assert "Your bookings" in listed.get_data(as_text=True)


def test_an_opt_out_kind_is_read_whatever_word_was_sent(sms):
    sms.send(SENDER, "hi")
    params = sms_params(SENDER, "arret")
    params["OptOutType"] = "STOP"
    silent = sms.post(params)
    assert silent.status_code == 200
    assert "<Message>" not in silent.get_data(as_text=True)
    assert sms.send(SENDER, "BOOKINGS") == ""
    resumed = sms_params(SENDER, "unstop")
    resumed["OptOutType"] = "START"
    assert "PIN" in sms.post(resumed).get_data(as_text=True)


def test_a_whatsapp_location_is_read_as_a_location():
    from webhooks.twilio import incoming_from_form

    params = sms_params(WHATSAPP, "")
    params.update({"Latitude": "51.5074", "Longitude": "-0.1278", "Address": "", "Label": ""})
    incoming = incoming_from_form(params)
    assert incoming is not None and incoming.location == (51.5074, -0.1278)
    params.update({"Latitude": "951", "Longitude": "x"})
    assert incoming_from_form(params).location is None
