"""GET /oauth/car2go/callback: the customer comes back from car2go and their chat is connected."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from bot.backends.car2go import Car2goBackend, make_car2go_backend
from bot.backends.protocol import Customer
from bot.oauth_requests import OAuthRequests
from tests.fakes.car2go_server import FakeCar2go, settings_for
from webhooks import oauth
from webhooks.oauth import CALLBACK_PATH, OAuthCallback

CHAT = "sms:+447700900123"
BUSINESS_NUMBER = "+15005550006"


class Connections:
    """What the integrator's `on_connected` receives: log the chat in, say "You're connected"."""

    def __init__(self) -> None:
        self.made: list[tuple[str, Customer, str | None]] = []
        self.fail = False

    def __call__(
        self, conversation_key: str, customer: Customer, *, reply_from: str | None
    ) -> None:
        if self.fail:
            raise RuntimeError("session store down")
        self.made.append((conversation_key, customer, reply_from))


@pytest.fixture
def car2go() -> Iterator[FakeCar2go]:
    server = FakeCar2go().start()
    server.add_user("max", [(1002, "Max Mustermann")])
    server.callback_url = f"https://bot.example{CALLBACK_PATH}"
    yield server
    server.stop()


@pytest.fixture
def backend(car2go: FakeCar2go) -> Iterator[Car2goBackend]:
    """The app runs on car2go (BOOKING_BACKEND=car2go), not the built-in store."""
    backend = make_car2go_backend(settings_for(car2go))
    yield backend
    backend.close()


@pytest.fixture
def car2go_backend(backend: Car2goBackend) -> Car2goBackend:
    return backend


@pytest.fixture
def links(redis_client) -> OAuthRequests:
    return OAuthRequests(redis_client)


@pytest.fixture
def connections() -> Connections:
    return Connections()


@pytest.fixture
def callback_app(app: Flask, links, car2go_backend, connections) -> Flask:
    oauth.register(app, OAuthCallback(links, car2go_backend, connections))
    return app


@pytest.fixture
def browser(callback_app: Flask) -> FlaskClient:
    return callback_app.test_client()


def send_link(backend: Car2goBackend, links: OAuthRequests, chat: str = CHAT):
    authorization = backend.start_authorization(f"https://bot.example{CALLBACK_PATH}")
    links.save(chat, authorization, reply_from=BUSINESS_NUMBER)
    return authorization


def back_from_car2go(car2go: FakeCar2go, authorization) -> str:
    """The customer opens the link and allows access: car2go redirects to our callback."""
    answer = httpx.get(authorization.url + "&decision=allow&user=max")
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert location.path == CALLBACK_PATH
    return f"{location.path}?{location.query}"


def test_coming_back_from_car2go_connects_the_chat_that_asked(
    car2go, car2go_backend, links, connections, browser
):
    authorization = send_link(car2go_backend, links)
    page = browser.get(back_from_car2go(car2go, authorization))
    assert page.status_code == 200
    assert "You're connected" in page.get_data(as_text=True)
    assert "Go back to the chat" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    [(chat, customer, reply_from)] = connections.made
    assert (chat, reply_from) == (CHAT, BUSINESS_NUMBER)
    assert customer.name == "Max Mustermann"
    assert customer.token in car2go.access_tokens
    assert links.take_for_conversation(CHAT) is None  # spent


def test_the_same_callback_again_connects_nothing(
    car2go, car2go_backend, links, connections, browser
):
    authorization = send_link(car2go_backend, links)
    url = back_from_car2go(car2go, authorization)
    assert browser.get(url).status_code == 200
    replay = browser.get(url)
    assert replay.status_code == 410
    assert "already used or has expired" in replay.get_data(as_text=True)
    assert len(connections.made) == 1
    assert len(car2go.calls(endpoint="accesstoken")) == 1


def test_an_unknown_token_connects_nothing(car2go_backend, connections, browser, car2go):
    page = browser.get(f"{CALLBACK_PATH}?oauth_token=made-up&oauth_verifier=1234")
    assert page.status_code == 410
    assert "ask for a new one" in page.get_data(as_text=True)
    assert connections.made == []
    assert car2go.calls(endpoint="accesstoken") == []


@pytest.mark.parametrize("query", ["", "?oauth_token=abc", "?oauth_verifier=1234"])
def test_a_callback_without_token_and_verifier_is_a_bad_request(browser, connections, query):
    page = browser.get(CALLBACK_PATH + query)
    assert page.status_code == 400
    assert connections.made == []


def test_a_forged_verifier_is_refused_and_the_link_is_spent(
    car2go, car2go_backend, links, connections, browser
):
    authorization = send_link(car2go_backend, links)
    back_from_car2go(car2go, authorization)
    page = browser.get(
        f"{CALLBACK_PATH}?oauth_token={authorization.request_token}&oauth_verifier=forged"
    )
    assert page.status_code == 400
    assert "did not confirm" in page.get_data(as_text=True)
    assert connections.made == []
    assert links.take_for_conversation(CHAT) is None


def test_car2go_unreachable_then_a_reload_connects(
    car2go, car2go_backend, links, connections, browser
):
    authorization = send_link(car2go_backend, links)
    url = back_from_car2go(car2go, authorization)
    car2go.fail_next(503, on="POST /api/accesstoken")
    first = browser.get(url)
    assert first.status_code == 503
    assert "Reload this page" in first.get_data(as_text=True)
    assert connections.made == []
    second = browser.get(url)
    assert second.status_code == 200
    assert [chat for chat, _, _ in connections.made] == [CHAT]


def test_a_chat_that_cannot_be_connected_says_try_again(
    car2go, car2go_backend, links, connections, browser
):
    connections.fail = True
    authorization = send_link(car2go_backend, links)
    page = browser.get(back_from_car2go(car2go, authorization))
    assert page.status_code == 503
    assert "try again" in page.get_data(as_text=True)


def test_the_page_never_echoes_what_was_sent(car2go_backend, browser):
    page = browser.get(f"{CALLBACK_PATH}?oauth_token=<script>x</script>&oauth_verifier=1")
    assert "<script>" not in page.get_data(as_text=True)
