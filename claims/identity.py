"""Keyed hashes the claims app adds to compensation.hashing: the network a claim came from
and a payout account, for signals across claimants without keeping the values."""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings


def _digest(label: bytes, value: str) -> bytes:
    return hmac.digest(settings.IDENTITY_HASH_KEY.encode(), label + value.encode(), hashlib.sha256)


def network_hash(network: str) -> bytes:
    return _digest(b"network:", network)


def payout_hash(account: str) -> bytes | None:
    normalized = re.sub(r"[^0-9A-Za-z]", "", account or "").upper()
    return _digest(b"payout:", normalized) if normalized else None
