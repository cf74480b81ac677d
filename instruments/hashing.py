"""Keyed hashes of instrument numbers: HMAC-SHA256 over "instrument:" + the normalized number,
with versioned keys (INSTRUMENT_HASH_KEYS, "version:secret,..."; unset, version 1 is
IDENTITY_HASH_KEY). The newest version hashes new imports; a claimant's number is matched
under every version still listed, so adding a key never orphans an earlier list.

The same normalization runs inside PostgreSQL for imports (services/imports.py) and both sides
agree byte for byte: NFKC (fullwidth digits read as digits), then spaces and hyphens removed,
then ASCII letters upper-cased; a number is 6 to 32 ASCII letters or digits."""

from __future__ import annotations

import hashlib
import hmac
import re
import string
import unicodedata

from django.conf import settings

from config.keys import versioned_keys_parse

NUMBER_PATTERN = "^[0-9A-Z]{6,32}$"
_NUMBER = re.compile(NUMBER_PATTERN)
_SEPARATORS = re.compile(r"[\s-]+")
_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)
PREFIX = b"instrument:"


def number_normalize(number: str) -> str:
    """The number as hashed, or "" when it is not 6 to 32 letters or digits."""
    value = _SEPARATORS.sub("", unicodedata.normalize("NFKC", number)).translate(_ASCII_UPPER)
    return value if _NUMBER.match(value) else ""


def hash_keys() -> dict[int, bytes]:
    configured = versioned_keys_parse(settings.INSTRUMENT_HASH_KEYS, setting="INSTRUMENT_HASH_KEYS")
    return configured or {1: settings.IDENTITY_HASH_KEY.encode()}


def current_version() -> int:
    return max(hash_keys())


def number_hash(normalized: str, version: int) -> bytes:
    return hmac.digest(hash_keys()[version], PREFIX + normalized.encode(), hashlib.sha256)


def number_hashes(normalized: str) -> dict[int, bytes]:
    """{version: hash} under every key still listed, for matching."""
    return {version: number_hash(normalized, version) for version in hash_keys()}


def hmac_pads(version: int) -> tuple[bytes, bytes]:
    """The inner and outer padded keys of HMAC-SHA256 (RFC 2104) of a version, so PostgreSQL
    computes the same hash with sha256(): sha256(opad || sha256(ipad || message))."""
    key = hash_keys()[version]
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)
