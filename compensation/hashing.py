"""Keyed hashes of personal identifiers, for matching and duplicate finding without reading
contact details. HMAC-SHA256 with IDENTITY_HASH_KEY over a normalized value."""

import hashlib
import hmac
import re

from django.conf import settings

_NON_DIGITS = re.compile(r"\D+")


# The same normalization runs inside PostgreSQL for bulk imports (population_sql.py): trim ASCII
# whitespace only, so both sides agree byte for byte.
_TRIM = " \t\n\r\f\v"


def email_normalize(email: str) -> str:
    return email.strip(_TRIM).lower()


def phone_normalize(phone: str) -> str:
    """Digits in international form. A Korean national number (leading 0) gains +82."""
    digits = _NON_DIGITS.sub("", phone)
    if phone.strip(_TRIM).startswith("+"):
        return digits
    if digits.startswith("0") and 9 <= len(digits) <= 11:
        return "82" + digits[1:]
    return digits


def _key() -> bytes:
    return settings.IDENTITY_HASH_KEY.encode()


def hmac_pads() -> tuple[bytes, bytes]:
    """The inner and outer padded keys of HMAC-SHA256 (RFC 2104), so PostgreSQL can compute
    the same HMAC with its built-in sha256(): sha256(opad || sha256(ipad || message))."""
    key = _key()
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def email_hash(email: str) -> bytes | None:
    normalized = email_normalize(email)
    if not normalized:
        return None
    return hmac.digest(_key(), b"email:" + normalized.encode(), hashlib.sha256)


def phone_hash(phone: str) -> bytes | None:
    normalized = phone_normalize(phone)
    if not normalized:
        return None
    return hmac.digest(_key(), b"phone:" + normalized.encode(), hashlib.sha256)
