"""Payment details encrypted at rest: MultiFernet over keys derived from PAYOUT_ACCOUNT_KEYS
("version:secret,...", the same format as CODE_HASH_KEYS, config/keys.py).

The highest version encrypts; every listed version decrypts, so a key is rotated by adding a
higher version, running `manage.py payouts_keys_rotate` (re-encrypts in chunks, resumable),
and only then removing the old one. Each row records the version it was encrypted with, so
the rotation finds what is left by an index, not by trying keys."""

from __future__ import annotations

import base64
import json
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from config.keys import versioned_keys_parse

_INFO = b"payouts.details.v1"


def _fernet(secret: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


@cache
def _keys(raw: tuple[str, ...]) -> tuple[int, MultiFernet]:
    keys = versioned_keys_parse(raw, setting="PAYOUT_ACCOUNT_KEYS")
    if not keys:
        raise RuntimeError("PAYOUT_ACCOUNT_KEYS is empty.")
    ordered = sorted(keys, reverse=True)
    return ordered[0], MultiFernet([_fernet(keys[version]) for version in ordered])


def current() -> tuple[int, MultiFernet]:
    """(the version new rows are encrypted with, the MultiFernet that reads every version)."""
    return _keys(tuple(settings.PAYOUT_ACCOUNT_KEYS))


def details_encrypt(details: dict[str, str]) -> tuple[bytes, int]:
    """(token, key version) for a dict of payment details (account number, holder...)."""
    version, fernet = current()
    return fernet.encrypt(json.dumps(details, sort_keys=True).encode()), version


def details_decrypt(token: bytes) -> dict[str, str]:
    """The details back; ValueError (never the token) if no listed key opens it."""
    try:
        return json.loads(current()[1].decrypt(bytes(token)))
    except InvalidToken:
        raise ValueError("No PAYOUT_ACCOUNT_KEYS key opens these payment details.") from None


def details_rotate(token: bytes) -> tuple[bytes, int]:
    """The same details encrypted with the current key."""
    version, fernet = current()
    return fernet.rotate(bytes(token)), version
