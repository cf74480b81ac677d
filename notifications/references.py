"""Public notice references: 16 symbols of Crockford's base-32 alphabet (80 bits from the
operating system's random source), printed as four groups of four.

The same format is made in PostgreSQL by `notifications_reference_new()` (migration 0001: 16
bytes of two gen_random_uuid() values, skipping the version byte, each taken mod 32) for the
notices campaigns create set-based, so both paths give equally unguessable references.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 16
# What people type by mistake, read as what they meant (Crockford's decoding rules).
_CONFUSABLE = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})


def reference_new() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def reference_display(reference: str) -> str:
    return "-".join(reference[i : i + 4] for i in range(0, len(reference), 4))


def reference_normalize(text: str) -> str | None:
    """The stored form of what someone typed or pasted, or None if it cannot be a reference."""
    cleaned = "".join(ch for ch in text.upper() if ch not in " -_\t").translate(_CONFUSABLE)
    if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned
