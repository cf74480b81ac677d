"""Key rotation for payment details: re-encrypt every instruction not yet under the current
PAYOUT_ACCOUNT_KEYS version, in chunks, each its own short transaction. Resumable (rows
already rotated are skipped by their version) and safe beside claimants changing their
details (each chunk locks its rows; a row changed meanwhile is already on the new key)."""

from __future__ import annotations

from django.db import transaction

from audit.services import audit_record
from payouts.crypto import current, details_rotate
from payouts.models import PayoutInstruction

ROTATE_CHUNK = 2_000


def instruction_keys_rotate(*, actor_label: str, chunk: int = ROTATE_CHUNK) -> int:
    """Re-encrypt with the current key; returns how many rows moved."""
    version, _fernet = current()
    moved = 0
    while True:
        with transaction.atomic():
            rows = list(
                PayoutInstruction.objects.select_for_update(skip_locked=True)
                .filter(details_encrypted__isnull=False)
                .exclude(details_key_version=version)
                .only("pk", "details_encrypted")
                .order_by("pk")[:chunk]
            )
            if not rows:
                break
            for row in rows:
                assert row.details_encrypted is not None  # the filter above
                token, row.details_key_version = details_rotate(bytes(row.details_encrypted))
                row.details_encrypted = token
            PayoutInstruction.objects.bulk_update(
                rows, ["details_encrypted", "details_key_version"]
            )
            moved += len(rows)
    if moved:
        audit_record(
            action="payout.keys_rotate",
            object_type="payouts.payoutinstruction",
            actor_label=actor_label,
            after={"rows": moved, "key_version": version},
        )
    return moved
