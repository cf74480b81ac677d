"""Keyed hashes of personal identifiers, for matching and duplicate finding without reading
contact details. HMAC-SHA256 with IDENTITY_HASH_KEY over a normalized value."""

import hashlib
import hmac
import re
import string
import unicodedata

from django.conf import settings

# The same normalization runs inside PostgreSQL for bulk imports (population_sql.py), and both
# sides must agree byte for byte whatever the database's collation, ICU build or Unicode
# version:
# - NFKC first, so the fullwidth letters and digits a CJK input method types, decomposed Hangul
#   and other compatibility spellings read as their plain form (PostgreSQL's normalize());
# - then trim ASCII whitespace only (NFKC turns an ideographic space into an ASCII one);
# - then lower ASCII letters only. Lowering other letters is a locale question (Turkish dotted
#   I, German sharp s, Greek final sigma) that PostgreSQL answers from the collation and Python
#   from its own tables, so they differ; and a mailbox's non-ASCII local part is not
#   case-insensitive anyway.
_TRIM = " \t\n\r\f\v"
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_NON_DIGITS = re.compile(r"[^0-9]+")


def _nfkc_trimmed(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip(_TRIM)


def email_normalize(email: str) -> str:
    """The address a code is sent to and its hash is taken of: NFKC, trimmed, ASCII letters
    lowered."""
    return _nfkc_trimmed(email).translate(_ASCII_LOWER)


def phone_normalize(phone: str) -> str:
    """ASCII digits in international form (after NFKC, so fullwidth digits count). A Korean
    national number (leading 0) gains +82."""
    phone = _nfkc_trimmed(phone)
    digits = _NON_DIGITS.sub("", phone)
    if phone.startswith("+"):
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
