"""An inquiry's contact (the email or phone to answer at), encrypted at rest: MultiFernet over
keys derived from SUPPORT_CONTACT_KEYS ("version:secret,...", config/keys.py; by default the
secrets of PAYOUT_ACCOUNT_KEYS, under this module's own derivation label, so no key opens both
a contact and payment details). The highest version encrypts, every listed one decrypts; each
row records its version."""

from __future__ import annotations

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from config.keys import versioned_keys_parse

_INFO = b"support.inquiry-contact.v1"


def _fernet(secret: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


@cache
def _keys(raw: tuple[str, ...]) -> tuple[int, MultiFernet]:
    keys = versioned_keys_parse(raw, setting="SUPPORT_CONTACT_KEYS")
    if not keys:
        raise RuntimeError("SUPPORT_CONTACT_KEYS is empty.")
    ordered = sorted(keys, reverse=True)
    return ordered[0], MultiFernet([_fernet(keys[version]) for version in ordered])


def contact_encrypt(contact: str) -> tuple[bytes, int]:
    """(token, key version) for a normalized email address or phone number."""
    version, fernet = _keys(tuple(settings.SUPPORT_CONTACT_KEYS))
    return fernet.encrypt(contact.encode()), version


def contact_decrypt(token: bytes | memoryview) -> str:
    """The contact back; ValueError (never the token) if no listed key opens it."""
    try:
        return _keys(tuple(settings.SUPPORT_CONTACT_KEYS))[1].decrypt(bytes(token)).decode()
    except InvalidToken:
        raise ValueError("No SUPPORT_CONTACT_KEYS key opens this contact.") from None
