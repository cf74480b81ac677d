"""Sealed notice variables: values a notice must carry but the outbox must not hold readable
(a sign-in code, a personal link's token). notice_enqueue encrypts the kind's `sealed`
variables (Fernet, a key derived from SECRET_KEY; SECRET_KEY_FALLBACKS still open older
rows) and the sender opens them only to render the message. What they open to is short-lived
and single use (a code expires in minutes, a link in days), so a copy of the table, its
backups or the admin's view of a notice's context holds nothing usable."""

from __future__ import annotations

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_INFO = b"notifications.sealed-variable.v1"
# A sealed value in a notice's context starts with this, so it is never printed as it is.
PREFIX = "sealed:"


@cache
def _fernet(secrets: tuple[str, ...]) -> MultiFernet:
    def one(secret: str) -> Fernet:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
            secret.encode()
        )
        return Fernet(base64.urlsafe_b64encode(key))

    return MultiFernet([one(secret) for secret in secrets])


def _keys() -> MultiFernet:
    return _fernet((settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])))


def seal(value: str) -> str:
    """The value encrypted; a value sealed already (a notice sent again with its context)
    stays as it is."""
    if value.startswith(PREFIX):
        return value
    return PREFIX + _keys().encrypt(value.encode()).decode()


def unseal(value: object) -> str:
    """The value a notice was created with; "" when it cannot be opened (a rotated key)."""
    if not isinstance(value, str) or not value.startswith(PREFIX):
        return ""
    try:
        return _keys().decrypt(value[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        return ""


def context_seal(sealed: frozenset[str], context: dict) -> dict:
    if not sealed:
        return context
    return {key: seal(str(value)) if key in sealed else value for key, value in context.items()}


def context_unseal(sealed: frozenset[str], context: dict) -> dict:
    if not sealed:
        return context
    return {key: unseal(value) if key in sealed else value for key, value in context.items()}
