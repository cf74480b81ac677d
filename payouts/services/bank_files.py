"""The bank bulk-transfer file of a released bank-transfer batch (layout: docs/operating.md,
"Payouts").

The file is made from the database each time it is asked for, in payout id order, decrypting
each payment choice as its line is written: the account numbers exist in plain text only in
the bytes on their way to the person downloading, never in a file, a storage or a log. The
same batch always gives the same bytes (fixed order and formatting), so the SHA-256 recorded
when the batch was released identifies the file the bank got; every download recomputes it.

While every payout of the batch waits for its result its instructions cannot change
(payouts/services/instructions.py: locked once released), so the content cannot change
either. Once a result has come back, a failed claimant may correct their details: the file
is then no longer offered (bank_file_offered), since it would no longer be the file sent."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import Actor, audit_record
from config.csv_stream import csv_cell
from payouts.crypto import details_decrypt
from payouts.errors import PayoutError
from payouts.methods import METHODS
from payouts.models import Payout, PayoutBatch

HEADER = (
    "payout_reference",
    "bank_code",
    "account_number",
    "account_holder",
    "amount_minor",
    "currency",
    "claim_reference",
)
# Payout ids read per query (a range of the primary key): memory stays flat at any size.
STREAM_CHUNK = 5_000
# The payouts a released batch sent: every one but those taken out before the release.
_IN_FILE = ("released", "paid", "failed", "returned")

# One range of payout ids (a primary-key range scan, whatever the batch's size or how many
# batches the table holds), in id order.
_LINES = """
SELECT p.id, p.reference, i.bank_code, i.details_encrypted, p.amount_minor, p.currency,
       i.claim_reference
FROM payouts_payout p JOIN payouts_payoutinstruction i ON i.id = p.instruction_id
WHERE p.id > %(low)s AND p.id <= %(high)s AND p.batch_id = %(batch)s
  AND p.status = ANY(%(statuses)s)
ORDER BY p.id
"""


@dataclass(frozen=True)
class FileDigest:
    sha256: str
    lines: int  # payout lines, the header not counted


def _csv_lines(rows: list[tuple]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return out.getvalue().encode("utf-8")


def bank_file_stream(batch: PayoutBatch) -> Iterator[bytes]:
    """The file as bytes chunks: the header, then one line per payout in id order (CSV,
    UTF-8, CRLF line ends, text cells neutralised against spreadsheet formulas). Reads a
    range of STREAM_CHUNK payout ids per query; each chunk's plain text lives only until it
    is yielded."""
    for chunk, _lines in _chunks(batch):
        yield chunk


def _chunks(batch: PayoutBatch) -> Iterator[tuple[bytes, int]]:
    yield _csv_lines([HEADER]), 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(id), max(id) FROM payouts_payout WHERE batch_id = %s", [batch.pk]
        )
        first, last = cursor.fetchone()
    if first is None:
        return
    low = first - 1
    while low < last:
        high = min(low + STREAM_CHUNK, last)
        with connection.cursor() as cursor:
            cursor.execute(
                _LINES,
                {"batch": batch.pk, "low": low, "high": high, "statuses": list(_IN_FILE)},
            )
            rows = cursor.fetchall()
        low = high
        if not rows:
            continue
        lines = []
        for _id, reference, bank_code, token, amount_minor, currency, claim in rows:
            details = details_decrypt(token) if token is not None else {}
            lines.append(
                (
                    reference,
                    bank_code,
                    details.get("account_number", ""),
                    details.get("holder", ""),
                    amount_minor,
                    currency,
                    claim,
                )
            )
        yield _csv_lines(lines), len(lines)
        del lines, rows


def bank_file_digest(batch: PayoutBatch) -> FileDigest:
    """SHA-256 and payout line count of the file as bank_file_stream gives it now."""
    digest = hashlib.sha256()
    count = 0
    for chunk, lines in _chunks(batch):
        digest.update(chunk)
        count += lines
    return FileDigest(digest.hexdigest(), count)


def batch_has_file(batch: PayoutBatch) -> bool:
    """Whether the batch's method is delivered by a bank file (not sent to a provider)."""
    spec = METHODS.get(batch.method)
    return spec is not None and spec.delivery == "file"


def bank_file_digest_record(*, batch_id: int) -> PayoutBatch | None:
    """Record the file's SHA-256, line count and time on a released bank-transfer batch, with
    an audit row (the dispatch of a release calls this). Idempotent: a batch whose digest is
    recorded keeps it, and nothing is written again. None if the batch is not a released
    file batch."""
    batch = PayoutBatch.objects.filter(pk=batch_id).first()
    if batch is None or batch.status != PayoutBatch.Status.RELEASED or not batch_has_file(batch):
        return None
    if batch.file_sha256:
        return batch
    # Computed outside the transaction (a million decryptions take a while); the content
    # cannot change while every payout waits for its result, and the write below is
    # conditional, so of two concurrent callers one records and one finds it recorded.
    file_digest = bank_file_digest(batch)
    with transaction.atomic():
        now = timezone.now()
        recorded = PayoutBatch.objects.filter(
            pk=batch_id, status=PayoutBatch.Status.RELEASED, file_sha256=""
        ).update(file_sha256=file_digest.sha256, file_lines=file_digest.lines, exported_at=now)
        if recorded:
            audit_record(
                action="payout.bank_file_digest",
                obj=batch,
                program_id=batch.program_id,
                actor_label="job:payouts",
                after={"sha256": file_digest.sha256, "lines": file_digest.lines},
            )
    batch.refresh_from_db()
    return batch


def bank_file_offered(batch: PayoutBatch) -> bool:
    """Whether the batch's file can be downloaded: a released bank-transfer batch with its
    digest recorded and no payout settled yet (after a result, a failed claimant may have
    corrected their details, and the file would no longer be the one sent)."""
    return (
        batch.status == PayoutBatch.Status.RELEASED
        and batch_has_file(batch)
        and bool(batch.file_sha256)
        and not Payout.objects.filter(
            batch=batch,
            status__in=[Payout.Status.PAID, Payout.Status.FAILED, Payout.Status.RETURNED],
        ).exists()
    )


def bank_file_download(*, batch: PayoutBatch, actor: Actor) -> Iterator[bytes]:
    """The file for one download by a staff member: PayoutError if it is not offered. The
    stream recomputes the SHA-256 as it goes and, once the last byte is out, writes the
    audit row (who, which batch, the SHA-256 sent, whether it matched the recorded one). A
    download broken off before the end is audited as such when the stream is closed."""
    if not bank_file_offered(batch):
        raise PayoutError(
            _(
                "The bank file is offered for a released bank-transfer batch whose file is "
                "recorded, until its first result comes back."
            ),
            code="file_not_offered",
        )
    return _audited_stream(batch, actor)


def _audited_stream(batch: PayoutBatch, actor: Actor) -> Iterator[bytes]:
    digest = hashlib.sha256()
    sent = 0
    complete = False
    try:
        for chunk in bank_file_stream(batch):
            digest.update(chunk)
            sent += len(chunk)
            yield chunk
        complete = True
    finally:
        sha256 = digest.hexdigest()
        audit_record(
            action="payout.bank_file_download",
            obj=batch,
            actor=actor,
            program_id=batch.program_id,
            after={
                "sha256": sha256 if complete else "",
                "bytes": sent,
                "complete": complete,
                "matches_recorded": complete and sha256 == batch.file_sha256,
            },
        )
