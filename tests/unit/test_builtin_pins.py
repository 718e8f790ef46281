"""PIN hashes: argon2id with its parameters in the hash, a pepper from the environment, and the
older scrypt hashes still accepted until they are upgraded."""

from __future__ import annotations

import os

import pytest

from bot.backends.builtin.pins import PinHasher, UnknownPepper, peppers_from, scrypt_hash
from bot.config import Settings

PEPPER = "a-pepper-of-at-least-16-chars"
OTHER = "another-pepper-0123456789"
CHEAP = {"time_cost": 1, "memory_kib": 1024}


def hasher(*peppers: str, **params: int) -> PinHasher:
    return PinHasher(peppers, **{**CHEAP, **params})


def test_a_hash_is_argon2id_and_carries_its_parameters() -> None:
    pin_hash, pin_salt = hasher(PEPPER, time_cost=2, memory_kib=2048).hash("1234")
    assert pin_hash.startswith("$argon2id$v=19$m=2048,t=2,p=1$")
    assert pin_salt.startswith("pepper:") and PEPPER not in pin_salt
    assert hasher(PEPPER).verify("1234", pin_hash, pin_salt)  # parameters come from the hash
    assert not hasher(PEPPER).verify("1235", pin_hash, pin_salt)


def test_default_parameters() -> None:
    pin_hash, _ = PinHasher().hash("1234")
    assert pin_hash.startswith("$argon2id$v=19$m=12288,t=3,p=1$")


def test_the_same_pin_hashes_differently_each_time() -> None:
    pins = hasher(PEPPER)
    assert pins.hash("1234")[0] != pins.hash("1234")[0]


def test_the_pepper_is_needed_to_check_a_peppered_hash() -> None:
    pin_hash, pin_salt = hasher(PEPPER).hash("1234")
    with pytest.raises(UnknownPepper):
        hasher().verify("1234", pin_hash, pin_salt)
    with pytest.raises(UnknownPepper):
        hasher(OTHER).verify("1234", pin_hash, pin_salt)
    # Without the pepper, the hash is not simply argon2id of the PIN.
    assert not hasher().verify("1234", pin_hash, "pepper:none")


def test_rotation_verifies_with_an_older_pepper_and_asks_for_an_upgrade() -> None:
    old_hash, old_salt = hasher(OTHER).hash("1234")
    rotated = hasher(PEPPER, OTHER)
    assert rotated.verify("1234", old_hash, old_salt)
    assert rotated.needs_upgrade(old_hash, old_salt)
    new_hash, new_salt = rotated.hash("1234")
    assert new_salt == hasher(PEPPER).hash("0000")[1]
    assert not rotated.needs_upgrade(new_hash, new_salt)


def test_an_unpeppered_hash_is_upgraded_once_a_pepper_is_set() -> None:
    pin_hash, pin_salt = hasher().hash("1234")
    assert pin_salt == "pepper:none"
    assert hasher(PEPPER).verify("1234", pin_hash, pin_salt)
    assert hasher(PEPPER).needs_upgrade(pin_hash, pin_salt)


def test_new_parameters_ask_for_an_upgrade() -> None:
    pin_hash, pin_salt = hasher(PEPPER).hash("1234")
    assert not hasher(PEPPER).needs_upgrade(pin_hash, pin_salt)
    assert hasher(PEPPER, time_cost=2).needs_upgrade(pin_hash, pin_salt)


def test_an_old_scrypt_hash_verifies_and_asks_for_an_upgrade() -> None:
    pin_hash, salt = scrypt_hash("987654", os.urandom(16))
    pins = hasher(PEPPER)
    assert pins.verify("987654", pin_hash, salt)
    assert not pins.verify("987655", pin_hash, salt)
    assert pins.needs_upgrade(pin_hash, salt)


def test_the_unknown_number_path_does_the_same_work_as_a_real_check() -> None:
    pins = hasher(PEPPER, time_cost=2)
    pins.burn_time("1234")
    dummy_hash, dummy_salt = pins._dummy
    real_hash, real_salt = pins.hash("1234")
    assert dummy_hash.split("$")[:4] == real_hash.split("$")[:4] and dummy_salt == real_salt


def test_a_short_pepper_is_refused_without_showing_it() -> None:
    with pytest.raises(ValueError, match="PIN_PEPPER") as refused:
        PinHasher(["short-pepper"])
    assert "short-pepper" not in str(refused.value)


def test_peppers_from_the_setting() -> None:
    assert peppers_from(None) == []
    assert peppers_from(f" {PEPPER} , {OTHER} ,") == [PEPPER, OTHER]


def test_the_pepper_never_shows_in_the_settings() -> None:
    settings = Settings.from_env({"PIN_PEPPER": PEPPER})
    assert settings.pin_pepper == PEPPER
    assert PEPPER not in repr(settings)


def test_hash_cost_settings_name_their_variable() -> None:
    settings = Settings.from_env({"PIN_HASH_TIME_COST": "2", "PIN_HASH_MEMORY_KIB": "4096"})
    assert (settings.pin_hash_time_cost, settings.pin_hash_memory_kib) == (2, 4096)
    with pytest.raises(ValueError, match="PIN_HASH_MEMORY_KIB must be a whole number"):
        Settings.from_env({"PIN_HASH_MEMORY_KIB": "lots"})
    with pytest.raises(ValueError, match="PIN_HASH_TIME_COST must be at least 1"):
        PinHasher(time_cost=0)


def test_a_pin_check_that_gets_no_turn_before_the_deadline_is_busy_not_slow() -> None:
    """Every hashing slot is taken (a login storm): the check waits its turn only while the
    message still has time, then says busy so the webhook answers 503 and the platform retries."""
    from bot import deadline
    from bot.backends.builtin import pins
    from bot.backends.protocol import BackendBusy

    hasher = pins.PinHasher(time_cost=1, memory_kib=64)
    pin_hash, pin_salt = hasher.hash("1234")
    for _ in range(pins.HASHES_AT_ONCE):
        pins._HASHING.acquire()
    try:
        with deadline.deadline(pins.DEADLINE_RESERVE_SECONDS + 0.1), pytest.raises(BackendBusy):
            hasher.verify("1234", pin_hash, pin_salt)
    finally:
        for _ in range(pins.HASHES_AT_ONCE):
            pins._HASHING.release()
    assert hasher.verify("1234", pin_hash, pin_salt)
