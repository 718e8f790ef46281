"""Pending car2go links in Redis: they expire, work once, only for their chat, on any worker."""

from __future__ import annotations

import threading
import time

import pytest
import redis
from cryptography.fernet import Fernet
from redis.backoff import NoBackoff
from redis.retry import Retry

from bot.backends.protocol import (
    Authorization,
    BackendUnavailable,
    InvalidCredentials,
    LoginExpired,
)
from bot.memory_store import MemoryKeyspace
from bot.oauth_requests import NoPendingLink, OAuthRequests, finish_with_code
from tests.conftest import REDIS_TEST_URL

CHAT = "telegram:4242"
OTHER_CHAT = "telegram:999"


def link(n: int = 1) -> Authorization:
    token = f"request-token-{n}"
    return Authorization(
        f"https://car2go.example/api/authorize?oauth_token={token}", token, f"secret-{n}"
    )


def test_the_callback_takes_a_link_once(any_redis):
    requests = OAuthRequests(any_redis)
    requests.save(CHAT, link(), reply_from="+15005550006")
    pending = requests.take("request-token-1")
    assert pending is not None
    assert (pending.conversation, pending.reply_from) == (CHAT, "+15005550006")
    assert pending.authorization == link()
    assert requests.take("request-token-1") is None  # replayed
    assert requests.take_for_conversation(CHAT) is None


def test_the_chat_that_asked_takes_it_by_typing_the_code(any_redis):
    requests = OAuthRequests(any_redis)
    requests.save(CHAT, link())
    assert requests.take_for_conversation(OTHER_CHAT) is None
    pending = requests.take_for_conversation(CHAT)
    assert pending is not None and pending.authorization.request_token == "request-token-1"
    assert requests.take_for_conversation(CHAT) is None


def test_another_chat_is_refused_and_does_not_spend_the_link(any_redis):
    requests = OAuthRequests(any_redis)
    requests.save(CHAT, link())
    assert requests.take("request-token-1", conversation=OTHER_CHAT) is None
    pending = requests.take("request-token-1", conversation=CHAT)
    assert pending is not None and pending.conversation == CHAT


def test_an_unknown_or_empty_token_is_nothing(any_redis):
    requests = OAuthRequests(any_redis)
    assert requests.take("never-issued") is None
    assert requests.take("") is None


def test_a_link_expires(any_redis):
    requests = OAuthRequests(any_redis, ttl_seconds=0.2)
    requests.save(CHAT, link())
    time.sleep(0.35)
    assert requests.take("request-token-1") is None
    assert requests.take_for_conversation(CHAT) is None


def test_the_default_lifetime_is_about_ten_minutes(any_redis):
    requests = OAuthRequests(any_redis)
    requests.save(CHAT, link())
    ttl = any_redis.pttl(requests.request_key("request-token-1"))
    assert 590_000 < ttl <= 600_000
    assert 590_000 < any_redis.pttl(requests.conversation_key(CHAT)) <= 600_000


def test_a_new_link_replaces_the_one_sent_before(any_redis):
    requests = OAuthRequests(any_redis)
    requests.save(CHAT, link(1))
    requests.save(CHAT, link(2))
    assert requests.take("request-token-1") is None
    assert requests.take_for_conversation(CHAT).authorization == link(2)


def test_a_taken_link_put_back_works_until_it_would_have_expired(any_redis):
    now = [1000.0]
    requests = OAuthRequests(any_redis, clock=lambda: now[0])
    requests.save(CHAT, link())
    pending = requests.take_for_conversation(CHAT)
    now[0] += 60
    assert requests.put_back(pending)
    assert 530_000 < any_redis.pttl(requests.request_key("request-token-1")) <= 540_000
    again = requests.take_for_conversation(CHAT)
    assert again is not None and again.expires_at == pending.expires_at
    now[0] += 600
    assert not requests.put_back(again)
    assert requests.take("request-token-1") is None


def test_the_request_secret_is_encrypted_at_rest(any_redis):
    requests = OAuthRequests(any_redis, cipher=Fernet(Fernet.generate_key()))
    requests.save(CHAT, link())
    key = requests.request_key("request-token-1")
    if isinstance(any_redis, MemoryKeyspace):
        stored = any_redis.dump(key)
    else:
        stored = b"".join(any_redis.hgetall(key).values())
    assert stored
    assert b"secret-1" not in stored
    assert requests.take("request-token-1").authorization.request_secret == "secret-1"
    requests.save(CHAT, link())
    assert "secret-1" not in repr(requests.take("request-token-1"))


def test_two_workers_share_links_and_only_one_takes_it(real_redis):
    worker_a = OAuthRequests(real_redis)
    worker_b = OAuthRequests(redis.Redis.from_url(REDIS_TEST_URL))
    worker_a.save(CHAT, link())
    taken: list[object] = []
    barrier = threading.Barrier(8)

    def take(worker: OAuthRequests) -> None:
        barrier.wait()
        taken.append(worker.take("request-token-1"))

    threads = [threading.Thread(target=take, args=(w,)) for w in [worker_a, worker_b] * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [t for t in taken if t is not None]
    assert len(winners) == 1 and winners[0].conversation == CHAT
    worker_b.client.close()


def test_a_store_outage_is_store_unavailable():
    from bot.sessions import StoreUnavailable

    dead = redis.Redis(port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    requests = OAuthRequests(dead)
    with pytest.raises(StoreUnavailable):
        requests.save(CHAT, link())
    with pytest.raises(StoreUnavailable):
        requests.take("request-token-1")


# --- the code typed into the chat, against a local car2go ----------------------------------------


@pytest.fixture
def car2go():
    from tests.fakes.car2go_server import FakeCar2go

    server = FakeCar2go().start()
    server.add_user("max", [(1002, "Max Mustermann")])
    yield server
    server.stop()


@pytest.fixture
def car2go_backend(car2go):
    from bot.backends.car2go import make_car2go_backend
    from tests.fakes.car2go_server import settings_for

    backend = make_car2go_backend(settings_for(car2go))
    yield backend
    backend.close()


def test_a_typed_code_connects_the_chat_once(memory_redis, car2go, car2go_backend):
    requests = OAuthRequests(memory_redis)
    authorization = car2go_backend.start_authorization(None)
    requests.save(CHAT, authorization)
    code = car2go.approve(authorization.request_token)
    with pytest.raises(NoPendingLink):
        finish_with_code(requests, car2go_backend, OTHER_CHAT, code)
    customer = finish_with_code(requests, car2go_backend, CHAT, code)
    assert customer.name == "Max Mustermann" and customer.token in car2go.access_tokens
    with pytest.raises(NoPendingLink):
        finish_with_code(requests, car2go_backend, CHAT, code)


def test_a_mistyped_code_keeps_the_link_for_the_right_one(memory_redis, car2go, car2go_backend):
    requests = OAuthRequests(memory_redis)
    authorization = car2go_backend.start_authorization(None)
    requests.save(CHAT, authorization)
    code = car2go.approve(authorization.request_token)
    with pytest.raises(InvalidCredentials):
        finish_with_code(requests, car2go_backend, CHAT, "0000")
    car2go.fail_next(503, on="POST /api/accesstoken")
    with pytest.raises(BackendUnavailable):
        finish_with_code(requests, car2go_backend, CHAT, code)
    assert finish_with_code(requests, car2go_backend, CHAT, code).token


def test_a_link_car2go_expired_asks_for_a_new_one(memory_redis, car2go, car2go_backend):
    requests = OAuthRequests(memory_redis)
    authorization = car2go_backend.start_authorization(None)
    requests.save(CHAT, authorization)
    code = car2go.approve(authorization.request_token)
    car2go.expire(authorization.request_token)
    with pytest.raises(LoginExpired):
        finish_with_code(requests, car2go_backend, CHAT, code)
    with pytest.raises(NoPendingLink):
        finish_with_code(requests, car2go_backend, CHAT, code)
