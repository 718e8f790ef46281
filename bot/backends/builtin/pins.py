"""PINs are kept only as salted scrypt hashes."""

from __future__ import annotations

import hashlib
import hmac
import os
from functools import lru_cache

_N, _R, _P = 2**14, 8, 1


def _scrypt(pin: str, salt: bytes) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)


def hash_pin(pin: str) -> tuple[str, str]:
    """(hash, salt), both hex, with a fresh random salt."""
    salt = os.urandom(16)
    return _scrypt(pin, salt).hex(), salt.hex()


@lru_cache(maxsize=8)
def demo_pin_hash(pin: str) -> tuple[str, str]:
    """The demo PINs are public, so one salt per process is fine and saves a hash per reset."""
    return hash_pin(pin)


def verify_pin(pin: str, pin_hash: str, salt: str) -> bool:
    return hmac.compare_digest(_scrypt(pin, bytes.fromhex(salt)).hex(), pin_hash)


@lru_cache(maxsize=1)
def _dummy() -> tuple[str, str]:
    return hash_pin("0000")


def burn_time(pin: str) -> None:
    """Spend as long as a real check, so an unknown number answers as slowly as a known one."""
    pin_hash, salt = _dummy()
    verify_pin(pin, pin_hash, salt)
