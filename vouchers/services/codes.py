"""Voucher codes: 16 symbols of a 32-letter alphabet (80 bits) plus one check symbol, shown as
ABCD-EFGH-JKLM-NPQR-X.

Derived, not delivered once. A code is HMAC(derivation key, "award id:generation") cut to 80
bits, so the owner's wallet can show the full code at any time, and a lost notice or a
changed email never strands a voucher. The database stores only HMAC(hash key, code) cut to
128 bits (with the key's version) and the last four symbols: a dump alone reveals no usable
code, and a dump plus the hash keys still does not (80 bits per code to search). The
derivation keys are the crown jewels: with them and a dump every code can be rebuilt, so they
live only in the web and worker environment (VOUCHER_CODE_DERIVE_KEYS, or a key separated
from each CODE_HASH_KEYS secret by its own label when that is not set).

The check symbol (Luhn mod 32) refuses every single mistyped symbol and most swapped
neighbours before any database look-up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.keys import versioned_keys_parse
from vouchers.errors import CodeMalformed

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1
SYMBOLS = 16
_INDEX = {symbol: i for i, symbol in enumerate(ALPHABET)}
_FROM_RFC4648 = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ALPHABET.encode())
_DERIVE_LABEL = b"voucher-code-derivation:"
HASH_BYTES = 16


@lru_cache(maxsize=8)
def _keyring(hash_pairs: tuple[str, ...], derive_pairs: tuple[str, ...]) -> Keyring:
    # Lengths are checked once, by settings at start-up; here only the format matters.
    hash_keys = versioned_keys_parse(hash_pairs, setting="CODE_HASH_KEYS")
    if not hash_keys:
        raise ImproperlyConfigured("CODE_HASH_KEYS lists no key: voucher codes need one.")
    if derive_pairs:
        derive_keys = versioned_keys_parse(derive_pairs, setting="VOUCHER_CODE_DERIVE_KEYS")
    else:
        derive_keys = {
            version: hmac.digest(secret, _DERIVE_LABEL + str(version).encode(), "sha256")
            for version, secret in hash_keys.items()
        }
    return Keyring(hash_keys=hash_keys, derive_keys=derive_keys)


@dataclass(frozen=True)
class Keyring:
    hash_keys: dict[int, bytes]
    derive_keys: dict[int, bytes]

    @property
    def hash_version(self) -> int:
        return max(self.hash_keys)

    @property
    def derive_version(self) -> int:
        return max(self.derive_keys)


def keyring() -> Keyring:
    """The configured keys (read from settings each call, parsed once per value)."""
    return _keyring(
        tuple(settings.CODE_HASH_KEYS),
        tuple(settings.VOUCHER_CODE_DERIVE_KEYS),
    )


def code_derive(*, award_id: int, generation: int, derive_key_version: int) -> str:
    """The 16 symbols of a voucher's code (no check symbol)."""
    key = keyring().derive_keys[derive_key_version]
    digest = hmac.digest(key, b"%d:%d" % (award_id, generation), "sha256")
    return base64.b32encode(digest[:10]).translate(_FROM_RFC4648).decode()


def code_hash(symbols: str, *, version: int) -> bytes:
    return hmac.digest(keyring().hash_keys[version], symbols.encode(), "sha256")[:HASH_BYTES]


def code_hash_candidates(symbols: str) -> list[bytes]:
    """The code's hash under every key still verifying (rotation without re-issuing)."""
    ring = keyring()
    return [
        hmac.digest(key, symbols.encode(), "sha256")[:HASH_BYTES] for key in ring.hash_keys.values()
    ]


def _luhn_sum(symbols: str, first_factor: int) -> int:
    total, factor = 0, first_factor
    for symbol in reversed(symbols):
        addend = factor * _INDEX[symbol]
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return total


def code_check_symbol(symbols: str) -> str:
    return ALPHABET[(32 - _luhn_sum(symbols, 2) % 32) % 32]


def code_display(symbols: str) -> str:
    """ABCD-EFGH-JKLM-NPQR-X: four groups of four and the check symbol."""
    full = symbols + code_check_symbol(symbols)
    return "-".join(full[i : i + 4] for i in range(0, len(full), 4))


def code_normalize(text: str) -> str:
    """The 16 symbols of a typed code, or CodeMalformed (no database look-up needed).
    Case, spaces and hyphens do not matter."""
    cleaned = "".join(text.split()).replace("-", "").upper()
    if len(cleaned) != SYMBOLS + 1 or any(symbol not in _INDEX for symbol in cleaned):
        raise CodeMalformed("not a voucher code")
    if _luhn_sum(cleaned, 1) % 32 != 0:
        raise CodeMalformed("the check symbol does not match")
    return cleaned[:SYMBOLS]


class CodeMaker:
    """Bulk issuance: the current keys loaded once, one call per voucher (two HMACs).

    Each key's HMAC state (the key already mixed into the inner and outer hash) is made once
    and copied per code: a third cheaper than hmac.digest, which redoes that setup on
    every call. The output is the same HMAC-SHA256 (code_derive and code_hash agree)."""

    def __init__(self) -> None:
        ring = keyring()
        self.hash_version = ring.hash_version
        self.derive_version = ring.derive_version
        self._hash_mac = hmac.new(ring.hash_keys[self.hash_version], digestmod=hashlib.sha256)
        self._derive_mac = hmac.new(ring.derive_keys[self.derive_version], digestmod=hashlib.sha256)

    def make(self, award_id: int, generation: int = 1) -> tuple[bytes, str]:
        """(code hash, last four symbols). The code itself is dropped here."""
        mac = self._derive_mac.copy()
        mac.update(b"%d:%d" % (award_id, generation))
        symbols = base64.b32encode(mac.digest()[:10]).translate(_FROM_RFC4648)
        mac = self._hash_mac.copy()
        mac.update(symbols)
        return mac.digest()[:HASH_BYTES], symbols[-4:].decode()


def secret_digest(value: str) -> bytes:
    """Hash of a high-entropy secret (a service key): no key needed, nothing to brute-force."""
    return hashlib.sha256(value.encode()).digest()
