"""Versioned keys written as "version:secret,..." (CODE_HASH_KEYS, VOUCHER_CODE_DERIVE_KEYS).

Pure: config/settings.py checks the values with it at start-up, and vouchers/services/codes.py
turns the same values into keys, so both read the format the same way."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ImproperlyConfigured


def versioned_keys_parse(
    pairs: Iterable[str], *, setting: str, min_secret_length: int = 0
) -> dict[int, bytes]:
    """{version: secret} from "version:secret" entries (a later entry of the same version
    wins). ImproperlyConfigured, naming the setting and the entry's position but never its
    text (it may be a secret), when an entry has no numeric version or a secret shorter than
    `min_secret_length`. No entry gives {}: whether that is allowed is the caller's call."""
    keys: dict[int, bytes] = {}
    for position, pair in enumerate(pairs, start=1):
        version, _, secret = pair.partition(":")
        if not (version.isascii() and version.isdigit()) or len(secret) < min_secret_length:
            length = (
                f" and a secret of {min_secret_length}+ characters" if min_secret_length else ""
            )
            raise ImproperlyConfigured(
                f"{setting} entry {position} is not 'version:secret' with a numeric version"
                f"{length}."
            )
        keys[int(version)] = secret.encode()
    return keys
