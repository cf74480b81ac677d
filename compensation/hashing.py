"""Keyed hashes of personal identifiers, for matching and duplicate finding without reading
contact details. HMAC-SHA256 with IDENTITY_HASH_KEY over a normalized value."""

import hashlib
import hmac
import re

from django.conf import settings

_NON_DIGITS = re.compile(r"\D+")


def email_normalize(email: str) -> str:
    return email.strip().lower()


def phone_normalize(phone: str) -> str:
    """Digits in international form. A Korean national number (leading 0) gains +82."""
    digits = _NON_DIGITS.sub("", phone)
    if phone.strip().startswith("+"):
        return digits
    if digits.startswith("0") and 9 <= len(digits) <= 11:
        return "82" + digits[1:]
    return digits


def _key() -> bytes:
    return settings.IDENTITY_HASH_KEY.encode()


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
