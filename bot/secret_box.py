"""Encryption at rest for the platform tokens and secrets a session carries.

`SECRETS_KEY` holds one or more Fernet keys, comma-separated: the first encrypts, every one of them
decrypts, so a key is rotated by putting the new one first and dropping the old one once the
sessions written with it have expired.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

SEALED = "fernet:"
"""Marks a sealed value, so a record written before encryption still reads."""


class SecretsKeyMissing(RuntimeError):
    """A secret has to be stored but SECRETS_KEY is not set."""

    def __init__(self) -> None:
        super().__init__(
            "SECRETS_KEY is not set: the session holds a platform token or secret, which is only "
            "stored encrypted. Set SECRETS_KEY to a Fernet key "
            "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')."
        )


class SecretUnreadable(ValueError):
    """A sealed value that none of the configured keys opens (a key was dropped too early)."""


class SecretBox:
    def __init__(self, keys: str) -> None:
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise ValueError("SECRETS_KEY is empty")
        try:
            self._fernet = MultiFernet([Fernet(k) for k in parts])
        except (ValueError, TypeError) as exc:
            raise ValueError(
                "SECRETS_KEY must be Fernet keys (32 url-safe base64-encoded bytes), comma-separated"
            ) from exc

    @classmethod
    def from_setting(cls, value: str | None) -> SecretBox | None:
        return cls(value) if value and value.strip() else None

    @property
    def cipher(self) -> MultiFernet:
        """The keys themselves, for stores that seal whole records (pending OAuth links)."""
        return self._fernet

    def seal(self, plaintext: str) -> str:
        return SEALED + self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, value: str) -> str:
        if not value.startswith(SEALED):
            return value
        try:
            return self._fernet.decrypt(value[len(SEALED) :].encode()).decode()
        except InvalidToken as exc:
            raise SecretUnreadable("no key in SECRETS_KEY opens this value") from exc


def seal(box: SecretBox | None, plaintext: str) -> str:
    if box is None:
        raise SecretsKeyMissing()
    return box.seal(plaintext)


def unseal(box: SecretBox | None, value: str) -> str:
    if not value.startswith(SEALED):
        return value
    if box is None:
        raise SecretUnreadable("SECRETS_KEY is not set, so a sealed value cannot be read")
    return box.open(value)
