"""Platform tokens and session secrets are stored encrypted (SECRETS_KEY), never in plain text."""

from __future__ import annotations

import dataclasses

import pytest
import redis
from cryptography.fernet import Fernet

from bot.config import Settings
from bot.runtime import build_runtime
from bot.secret_box import SecretsKeyMissing
from bot.sessions import Session
from tests.fakes.chat import Chat

TOKEN = "launch27-bearer-PLAINTEXT-0001"
TOKEN_SECRET = "oauth-secret-PLAINTEXT-0002"
GAZOOP_PIN = "gazoop-pin-PLAINTEXT-0003"
OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


class TokenBackend:
    """The built-in backend, logging in as a platform that hands out a token pair would."""

    def __init__(self, backend) -> None:
        self.backend = backend

    def login(self, identifier: str, secret: str, one_time_code: str | None = None):
        customer = self.backend.login(identifier, secret)
        return dataclasses.replace(customer, token=TOKEN, token_secret=TOKEN_SECRET)

    def __getattr__(self, name: str):
        return getattr(self.backend, name)


def runtime_with(client, backend, clock, secrets_key: str | None):
    settings = Settings(secrets_key=secrets_key)
    return build_runtime(settings, redis_client=client, backend=TokenBackend(backend), clock=clock)


def everything_stored(client: redis.Redis, prefix: str) -> bytes:
    stored = []
    for key in client.scan_iter(match=f"{prefix}:*"):
        kind = client.type(key)
        if kind == b"string":
            stored.append(client.get(key) or b"")
        elif kind == b"zset":
            stored.extend(client.zrange(key, 0, -1))
    assert stored, "the scan found what the bot stored"
    return b"\n".join(stored)


def test_a_token_is_only_ciphertext_in_redis_and_plaintext_in_the_session(
    real_redis: redis.Redis, redis_prefix: str, backend, clock
) -> None:
    runtime = runtime_with(real_redis, backend, clock, OLD_KEY)
    chat = Chat(runtime.engine, channel="sms")
    assert "logged in" in chat.login()
    session = chat.session
    session.data["secrets"] = {"pin": GAZOOP_PIN}
    runtime.store.save(f"sms:{chat.conversation}", session)

    stored = everything_stored(real_redis, redis_prefix)
    for plaintext in (TOKEN, TOKEN_SECRET, GAZOOP_PIN):
        assert plaintext.encode() not in stored
    again = chat.session
    assert (again.customer["token"], again.customer["token_secret"]) == (TOKEN, TOKEN_SECRET)
    assert again.data["secrets"] == {"pin": GAZOOP_PIN}
    assert "Your bookings" in chat.send("BOOKINGS"), "the logged-in session reads back"


def test_a_rotated_key_still_opens_what_the_old_key_sealed(any_redis, backend, clock) -> None:
    old = runtime_with(any_redis, backend, clock, OLD_KEY)
    Chat(old.engine, channel="sms").login()

    rotated = runtime_with(any_redis, backend, clock, f"{NEW_KEY},{OLD_KEY}")
    chat = Chat(rotated.engine, channel="sms")
    assert chat.session.customer["token"] == TOKEN
    assert "Your bookings" in chat.send("BOOKINGS")  # saved again, now under the new key

    new_only = runtime_with(any_redis, backend, clock, NEW_KEY)
    assert Chat(new_only.engine, channel="sms").session.customer["token"] == TOKEN


def test_a_session_no_key_opens_starts_over_logged_out(any_redis, backend, clock) -> None:
    Chat(runtime_with(any_redis, backend, clock, OLD_KEY).engine, channel="sms").login()
    stranger = runtime_with(any_redis, backend, clock, NEW_KEY)
    chat = Chat(stranger.engine, channel="sms")
    assert not chat.session.logged_in
    assert "PIN" in chat.send("BOOKINGS")


def test_without_secrets_key_a_token_is_refused_naming_the_setting(
    real_redis, backend, clock
) -> None:
    runtime = runtime_with(real_redis, backend, clock, None)
    session = Session(state="menu", customer={"id": "1", "name": "Alex", "token": TOKEN})
    with pytest.raises(SecretsKeyMissing, match="SECRETS_KEY"):
        runtime.store.save("sms:1", session)
    runtime.store.save("sms:2", Session(state="menu", customer={"id": "2", "name": "Sam"}))
    assert runtime.store.load("sms:2").logged_in, "a customer without a token needs no key"


def test_the_in_process_store_seals_tokens_with_a_key_of_its_own(
    memory_redis, backend, clock
) -> None:
    runtime = runtime_with(memory_redis, backend, clock, None)
    runtime.store.save(
        "sms:1", Session(state="menu", customer={"id": "1", "name": "A", "token": TOKEN})
    )
    assert runtime.store.load("sms:1").get_customer().token == TOKEN
    assert not [k for k in memory_redis.keys("*") if TOKEN.encode() in (memory_redis.get(k) or b"")]


def test_a_platform_backend_without_secrets_key_refuses_to_start_naming_it(real_redis) -> None:
    from bot.config import Settings
    from bot.runtime import build_runtime

    class Platform:
        name = "launch27"
        closed = False

        def close(self) -> None:
            self.closed = True

    platform = Platform()
    with pytest.raises(ValueError, match="SECRETS_KEY is required with BOOKING_BACKEND=launch27"):
        build_runtime(Settings(), redis_client=real_redis, backend=platform)
    assert platform.closed


def test_a_malformed_key_names_the_setting(any_redis, backend, clock) -> None:
    with pytest.raises(ValueError, match="SECRETS_KEY"):
        runtime_with(any_redis, backend, clock, "not-a-fernet-key")
