"""Vouchers bound to their holder's account, and the opaque ids a shop applies them by.

Binding: a bound voucher is spent only by a redeem carrying the customer's account reference
whose keyed hash (HMAC-SHA256 with IDENTITY_HASH_KEY, the import's key, compensation/hashing.py)
equals the keyed hash of the holder's account id, computed by the redeem statement itself
(PostgreSQL's sha256() over the same padded keys). The reference is never stored: the
redemption of a bound voucher keeps no customer reference at all (the voucher names its
holder).

Opaque ids: the shop list (GET /api/v1/customers/{customer_ref}/vouchers) shows no codes;
each voucher is named by `vr<version>_` and one AES block (the voucher's id and 64 bits of
its HMAC, under a key separated from the current code hash key by its own label), so an id
neither tells the voucher's row number nor can be made up: a forged or altered one does not
decrypt to a matching tag (one chance in 2^64).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import unicodedata

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

from compensation.hashing import hmac_pads
from vouchers.services.codes import keyring

_ACCOUNT_LABEL = b"account:"
_REF_LABEL = b"voucher-ref:"
_REF_PREFIX = "vr"


def account_ref_normalize(customer_ref: str) -> str:
    """An account reference as both sides hash it: NFKC, surrounding spaces trimmed."""
    return unicodedata.normalize("NFKC", customer_ref).strip(" ")


def account_ref_hash(customer_ref: str) -> bytes:
    """The keyed hash of a customer's account reference (as the redeem statement computes
    it of the holder's account id)."""
    message = _ACCOUNT_LABEL + account_ref_normalize(customer_ref).encode()
    return hmac.digest(settings.IDENTITY_HASH_KEY.encode(), message, hashlib.sha256)


def account_hash_sql(external_id: str) -> str:
    """SQL: the keyed hash of the account id in column `external_id`, equal to
    account_ref_hash() of the same id. Takes the params ipad and opad (account_hash_params)."""
    return (
        "sha256(%(opad)s || sha256(%(ipad)s || convert_to("
        f"'account:' || btrim(normalize({external_id}, NFKC)), 'UTF8')))"
    )


def account_hash_params() -> dict[str, bytes]:
    ipad, opad = hmac_pads()
    return {"ipad": ipad, "opad": opad}


def _ref_key(version: int) -> bytes:
    return hmac.digest(keyring().hash_keys[version], _REF_LABEL + str(version).encode(), "sha256")


def _tag(key: bytes, voucher_id: int) -> bytes:
    return hmac.digest(key, b"id:%d" % voucher_id, "sha256")[:8]


def voucher_ref(voucher_id: int) -> str:
    """The opaque, non-guessable id of a voucher for the shop API."""
    version = keyring().hash_version
    key = _ref_key(version)
    block = struct.pack(">Q", voucher_id) + _tag(key, voucher_id)
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 (one block, a PRP)
    sealed = encryptor.update(block) + encryptor.finalize()
    return f"{_REF_PREFIX}{version}_" + base64.b32encode(sealed).decode().rstrip("=").lower()


def voucher_ref_open(ref: str) -> int | None:
    """The voucher id an opaque id names, or None for anything made up or altered."""
    head, _, body = ref.strip().partition("_")
    if not head.startswith(_REF_PREFIX) or not head[len(_REF_PREFIX) :].isdigit():
        return None
    version = int(head[len(_REF_PREFIX) :])
    if version not in keyring().hash_keys or len(body) != 26:
        return None
    try:
        sealed = base64.b32decode(body.upper() + "======")
    except ValueError:
        return None
    # One spelling per id: the last character carries two padding bits, and an id that differs
    # only there is not the one the list gave.
    if base64.b32encode(sealed).decode().rstrip("=").lower() != body:
        return None
    key = _ref_key(version)
    decryptor = Cipher(algorithms.AES(key), modes.ECB()).decryptor()  # noqa: S305 (one block)
    block = decryptor.update(sealed) + decryptor.finalize()
    voucher_id = struct.unpack(">Q", block[:8])[0]
    if not hmac.compare_digest(block[8:], _tag(key, voucher_id)):
        return None
    return voucher_id
