"""PIN hashes: argon2id with a server-side pepper; older scrypt hashes still verify.

A PIN has 4 to 12 digits, so a stolen hash alone falls to an offline search quickly whatever the
hash. Two things slow that down:

- argon2id (`argon2-cffi`), whose parameters travel inside the encoded hash
  (`$argon2id$v=19$m=…,t=…,p=…$salt$digest`): changing them later upgrades each hash at its
  customer's next successful login. The defaults (t=3, m=12 MiB, p=1; one of OWASP's argon2id
  settings) take about 25 ms here and keep 16 concurrent checks under 200 MiB.
- a pepper (`PIN_PEPPER`), kept in the environment and never in the database: the PIN is keyed
  with HMAC-SHA256 under it before hashing, so a copy of the database is not enough to try PINs.
  Several peppers may be given, comma-separated: the first hashes new PINs, the others still
  verify (rotation), and a hash made with an older one is re-made with the first at next login.

The `pin_salt` column, which held the scrypt salt, names the pepper of an argon2id hash instead:
`pepper:<id>` (a short HMAC of a constant under the pepper, which says nothing about the pepper
itself) or `pepper:none`. Hashes from before argon2id (scrypt, salt in `pin_salt`) still verify
and are upgraded to argon2id at the customer's next successful login.

Without `PIN_PEPPER`: the quick start (no DATABASE_URL) hashes PINs without a pepper; so does a
DATABASE_URL naming a SQLite file, with a warning at every start; a DATABASE_URL naming PostgreSQL
(a real deployment) refuses to start with a line that says what to set. Setting a pepper later
adds it to each hash at its customer's next successful login. Losing it, or removing a pepper
still in use, stops those customers from logging in (their login answers "not available" and
logs an error naming no secret): keep it with the other secrets. It is never logged or stored.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from bot import deadline
from bot.backends.protocol import BackendBusy

TIME_COST = 3
MEMORY_KIB = 12 * 1024
PARALLELISM = 1
MIN_PEPPER_LENGTH = 16
PEPPER_PREFIX = "pepper:"
NO_PEPPER = "none"

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1

HASHES_AT_ONCE = max(2, os.cpu_count() or 2)
"""PIN hashes computed at the same time per process. Each takes a core and MEMORY_KIB while the
GIL is released, so a login storm on many threads (WEB_THREADS sized for a slow platform) would
otherwise slice every core between all of them, push them all past the message deadline and
need threads x 12 MiB. The others wait their turn, at most until the deadline."""
_HASHING = threading.BoundedSemaphore(HASHES_AT_ONCE)
DEADLINE_RESERVE_SECONDS = 1.0


@contextmanager
def _hashing_slot() -> Iterator[None]:
    wait = max(0.0, deadline.remaining() - DEADLINE_RESERVE_SECONDS)
    if not _HASHING.acquire(timeout=wait):
        raise BackendBusy("Too many PIN checks at once; no turn came before the deadline.")
    try:
        yield
    finally:
        _HASHING.release()


_DEMO_HASHES: dict[tuple[str, str, int, int], tuple[str, str]] = {}


class UnknownPepper(Exception):
    """The hash was made with a pepper that is not configured (any more)."""


class PinHasher:
    """Hashes and checks PINs with one set of argon2id parameters and peppers."""

    def __init__(
        self,
        peppers: Sequence[str] = (),
        *,
        time_cost: int = TIME_COST,
        memory_kib: int = MEMORY_KIB,
        parallelism: int = PARALLELISM,
    ) -> None:
        if any(len(p) < MIN_PEPPER_LENGTH for p in peppers):
            raise ValueError(
                f"PIN_PEPPER: each pepper needs at least {MIN_PEPPER_LENGTH} characters"
            )
        if time_cost < 1:
            raise ValueError("PIN_HASH_TIME_COST must be at least 1")
        if memory_kib < 8 * parallelism:
            raise ValueError(f"PIN_HASH_MEMORY_KIB must be at least {8 * parallelism}")
        keys = [p.encode() for p in peppers]
        self._peppers = {_pepper_id(key): key for key in keys}
        self._current = _pepper_id(keys[0]) if keys else NO_PEPPER
        self._argon2 = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )

    @property
    def peppered(self) -> bool:
        return self._current != NO_PEPPER

    def hash(self, pin: str) -> tuple[str, str]:
        """(pin_hash, pin_salt column) for a new PIN, with the current pepper."""
        with _hashing_slot():
            pin_hash = self._argon2.hash(self._keyed(pin, self._current))
        return pin_hash, PEPPER_PREFIX + self._current

    def demo_hash(self, pin: str) -> tuple[str, str]:
        """The demo PINs are public: one hash per PIN and settings per process is enough."""
        key = (pin, self._current, self._argon2.time_cost, self._argon2.memory_cost)
        if key not in _DEMO_HASHES:
            _DEMO_HASHES[key] = self.hash(pin)
        return _DEMO_HASHES[key]

    def verify(self, pin: str, pin_hash: str, pin_salt: str) -> bool:
        """Whether `pin` matches. Raises UnknownPepper when the hash's pepper is not configured."""
        if not pin_salt.startswith(PEPPER_PREFIX):
            with _hashing_slot():
                return _scrypt_matches(pin, pin_hash, pin_salt)
        pepper_id = pin_salt.removeprefix(PEPPER_PREFIX)
        if pepper_id != NO_PEPPER and pepper_id not in self._peppers:
            raise UnknownPepper(pepper_id)
        try:
            with _hashing_slot():
                return self._argon2.verify(pin_hash, self._keyed(pin, pepper_id))
        except (VerificationError, InvalidHashError):
            return False

    def needs_upgrade(self, pin_hash: str, pin_salt: str) -> bool:
        """Whether a hash that just verified should be made again with today's settings."""
        if pin_salt != PEPPER_PREFIX + self._current:
            return True
        try:
            return self._argon2.check_needs_rehash(pin_hash)
        except InvalidHashError:
            return True

    def burn_time(self, pin: str) -> None:
        """Spend as long as a real check, so an unknown number answers as slowly as a known one."""
        pin_hash, pin_salt = self._dummy
        self.verify(pin, pin_hash, pin_salt)

    @cached_property
    def _dummy(self) -> tuple[str, str]:
        return self.hash("0000")

    def _keyed(self, pin: str, pepper_id: str) -> bytes:
        if pepper_id == NO_PEPPER:
            return pin.encode()
        return hmac.new(self._peppers[pepper_id], pin.encode(), hashlib.sha256).digest()


def peppers_from(setting: str | None) -> list[str]:
    """`PIN_PEPPER`: one pepper, or several comma-separated, the one for new hashes first."""
    return [p.strip() for p in (setting or "").split(",") if p.strip()]


def _pepper_id(key: bytes) -> str:
    return hmac.new(key, b"booking-bot PIN pepper id", hashlib.sha256).hexdigest()[:12]


def _scrypt_matches(pin: str, pin_hash: str, salt: str) -> bool:
    """The hashes made before argon2id: scrypt, salt in hex in `pin_salt`, no pepper."""
    try:
        salt_bytes = bytes.fromhex(salt)
    except ValueError:
        return False
    return hmac.compare_digest(scrypt_hash(pin, salt_bytes)[0], pin_hash)


def scrypt_hash(pin: str, salt: bytes) -> tuple[str, str]:
    """(hash, salt) in hex, as stored before argon2id."""
    digest = hashlib.scrypt(
        pin.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return digest.hex(), salt.hex()
