"""Benchmark: payouts at scale through the real services. Builds a bank-transfer batch of N
claim awards, exports its bank file (every account decrypted as its line is written, the
SHA-256 recorded), then imports a bank result file of N lines twice: with 5 bad lines planted
(every one reported by line and column, the file refused, nothing applied) and fixed (checked
and applied in one transaction: payouts settled, paid awards delivered, failed instructions
held, one notice per payout). Prints each step's time and rows/s, and the import's ratio to a
raw psycopg COPY of the same file into a bare table, measured in the same run.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/payoutbench \\
      REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python scripts/bench_payouts.py [--rows N]

Use a database of its own: it is migrated and each run adds its own program (the database
grows, as production would). Loading the awards and choices is set-based (INSERT ... SELECT
for the awards, COPY for the choices), with time-ordered public ids as the ledger and the
model give them (uuid_v7(), uuid7: a random one would put each award's index entry on a
random page, which every status change writes again), each choice's details encrypted on its
own (Fernet, as instruction_draft_save does; a token reused for every row would not measure
the file's decryption). Tasks are not queued (nothing here needs a worker). Prints figures; asserts
only that the work was done.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

RESULT_HEADER = "payout_reference,status,amount_minor,currency,failure_code,settled_on"
# The 5 planted lines (by payout position in the batch) and what is wrong with each.
PLANTED = {
    11: "an unknown reference",
    222: "a wrong amount",
    3_333: "a bad status",
    4_444: "a day that does not exist",
    5_555: "a wrong currency",
}


def _rate(rows: int, seconds: float) -> str:
    return f"{seconds:7.2f}s  {rows / seconds:10,.0f} rows/s" if seconds else f"{seconds:.2f}s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    rows = args.rows
    if rows < 6_000:
        parser.error("--rows must be 6,000 or more (the planted lines sit up to line 5,556)")

    import django

    django.setup()
    from django.conf import settings
    from django.core.files import File
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from compensation.ids import uuid7
    from compensation.models import Award, Incident, Program
    from config import queueing
    from notifications.models import Notice
    from payouts.crypto import details_encrypt
    from payouts.models import Payout, PayoutResultFile
    from payouts.services.bank_files import bank_file_digest_record, bank_file_stream
    from payouts.services.batches import payout_batch_create, payout_batch_release
    from payouts.services.results import result_file_upload

    call_command("migrate", verbosity=0)
    queueing.task_send = lambda *args, **kwargs: True  # no worker: nothing is queued
    work = Path(tempfile.mkdtemp(prefix="bench-payouts-"))
    settings.MEDIA_ROOT = work / "media"  # the stored result files
    settings.PAYOUTS_RESULT_SYNC_BYTES = 1 << 40  # applied in this process, timed
    settings.PAYOUTS_RESULT_MAX_BYTES = 1 << 40
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    try:
        incident = Incident.objects.create(
            title=f"Payout bench {stamp}", summary="bench", detected_at=timezone.now()
        )
        program = Program.objects.create(
            incident=incident,
            slug=f"bench-payouts-{stamp}",
            name=f"Payout bench {stamp}",
            currency="KRW",
            budget_minor=rows * 100_000,
            status=Program.Status.OPEN,
        )
        builder, releaser = (
            User.objects.create_user(email=f"{who}-{stamp}@bench.example", password=None)
            for who in ("builder", "releaser")
        )

        # --- Load: N granted claim awards and their bank-transfer choices ----------------
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO compensation_award (public_id, program_id, source, unit, "
                "claim_reference, kind, amount_minor, currency, status, explanation, "
                "created_at, updated_at) "
                "SELECT uuid_v7(), %s, 'claim', 0, %s || lpad(g::text, 8, '0'), "
                "'cash', 10000 + (g %% 50) * 1000, 'KRW', 'granted', '{}', now(), now() "
                "FROM generate_series(1, %s) g",
                [program.pk, f"B{stamp[-10:]}-", rows],
            )
            cursor.execute(
                "UPDATE compensation_program SET committed_minor = "
                "(SELECT sum(amount_minor) FROM compensation_award WHERE program_id = %s) "
                "WHERE id = %s",
                [program.pk, program.pk],
            )
        awards_seconds = time.perf_counter() - started
        started = time.perf_counter()
        owner = hashlib.sha256(stamp.encode()).digest()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT claim_reference FROM compensation_award WHERE program_id = %s ORDER BY id",
                [program.pk],
            )
            claims = [claim for (claim,) in cursor.fetchall()]
            with cursor.copy(
                "COPY payouts_payoutinstruction (public_id, program_id, owner_email_hash, "
                "claim_reference, method, bank_code, details_encrypted, details_key_version, "
                "details_last4, notify_email, language, hold_code, created_at, updated_at) "
                "FROM STDIN"
            ) as copy:
                now = timezone.now()
                for n, claim in enumerate(claims):
                    account = f"{100_000_000_000 + n:012d}"
                    token, version = details_encrypt(
                        {"account_number": account, "holder": f"Holder {n}"}
                    )
                    copy.write_row(
                        (
                            uuid7(),
                            program.pk,
                            owner,
                            claim,
                            "bank_transfer",
                            "004",
                            token,
                            version,
                            account[-4:],
                            f"p{n}@bench.example",
                            ("ko", "en", "zh-hans")[n % 3],
                            "",
                            now,
                            now,
                        )
                    )
            cursor.execute("ANALYZE compensation_award")
            cursor.execute("ANALYZE payouts_payoutinstruction")
        choices_seconds = time.perf_counter() - started
        del claims

        # --- Build and release --------------------------------------------------------------
        started = time.perf_counter()
        batch = payout_batch_create(
            program=program, method="bank_transfer", actor=builder, build_now=True
        )
        build_seconds = time.perf_counter() - started
        assert batch.payouts_count == rows, batch.payouts_count
        started = time.perf_counter()
        batch = payout_batch_release(batch=batch, actor=releaser)
        release_seconds = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE payouts_payout")

        # --- Export: the bank file, streamed, hashed and recorded; then a raw COPY TO -------
        started = time.perf_counter()
        recorded = bank_file_digest_record(batch_id=batch.pk)
        export_seconds = time.perf_counter() - started
        assert recorded is not None
        assert recorded.file_lines == rows
        started = time.perf_counter()
        streamed = sum(len(chunk) for chunk in bank_file_stream(batch))
        stream_seconds = time.perf_counter() - started
        started = time.perf_counter()
        raw_out = 0
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(
                "COPY (SELECT p.reference, i.bank_code, i.details_encrypted, p.amount_minor, "
                "p.currency, i.claim_reference FROM payouts_payout p JOIN "
                "payouts_payoutinstruction i ON i.id = p.instruction_id WHERE p.batch_id = %s "
                "ORDER BY p.id) TO STDOUT (FORMAT csv)",
                [batch.pk],
            ) as copy,
        ):
            for block in copy:
                raw_out += len(block)
        raw_export_seconds = time.perf_counter() - started

        # --- The result files: 98% paid, 1.5% failed, 0.5% returned -------------------------
        good = work / f"result-{rows}.csv"
        bad = work / f"result-{rows}-bad.csv"
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(
                "COPY (SELECT reference, CASE WHEN id %% 200 = 0 THEN 'returned' "
                "WHEN id %% 200 < 4 THEN 'failed' ELSE 'paid' END, amount_minor, currency, "
                "CASE WHEN id %% 200 = 0 THEN 'R01' WHEN id %% 200 < 4 THEN 'AC04' ELSE '' END, "
                "'2026-03-02' FROM payouts_payout WHERE batch_id = %s ORDER BY id) "
                "TO STDOUT (FORMAT csv)",
                [batch.pk],
            ) as copy,
            good.open("wb") as out,
        ):
            out.write((RESULT_HEADER + "\n").encode())
            for block in copy:
                out.write(block)
        lines = good.read_bytes().split(b"\n")
        for position, what in PLANTED.items():
            fields = lines[position + 1].split(b",")
            if what == "an unknown reference":
                fields[0] = b"FFFFFFFFFFFFFFFFFFFF"
            elif what == "a wrong amount":
                fields[2] = str(int(fields[2]) + 1).encode()
            elif what == "a bad status":
                fields[1] = b"bounced"
            elif what == "a day that does not exist":
                fields[5] = b"2026-02-30"
            else:
                fields[3] = b"USD"
            lines[position + 1] = b",".join(fields)
        bad.write_bytes(b"\n".join(lines))
        del lines
        size_mb = good.stat().st_size / 1e6

        def upload(path: Path) -> tuple[PayoutResultFile, float]:
            started = time.perf_counter()
            with path.open("rb") as handle:
                result = result_file_upload(
                    batch=batch, upload=File(handle, name=path.name), actor=releaser
                )
            return result, time.perf_counter() - started

        refused, refused_seconds = upload(bad)
        assert refused.status == PayoutResultFile.Status.REFUSED, refused.status
        assert Payout.objects.filter(batch=batch, status="released").count() == rows
        assert not Notice.objects.filter(program=program).exists()

        applied, applied_seconds = upload(good)
        assert applied.status == PayoutResultFile.Status.APPLIED, applied.errors[:5]
        delivered = Award.objects.filter(program=program, status="delivered").count()
        notices = Notice.objects.filter(program=program).count()
        assert delivered == applied.paid

        # --- Raw baseline: the same file, COPY (csv) into a bare table ----------------------
        with connection.cursor() as cursor:
            table = f"bench_raw_result_{os.getpid()}"
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(
                f"CREATE TABLE {table} (payout_reference text, status text, amount_minor text, "
                "currency text, failure_code text, settled_on text)"
            )
            started = time.perf_counter()
            with (
                cursor.copy(f"COPY {table} FROM STDIN (FORMAT csv, HEADER true)") as copy,
                good.open("rb") as handle,
            ):
                while block := handle.read(1 << 20):
                    copy.write(block)
            raw_seconds = time.perf_counter() - started
            cursor.execute(f"DROP TABLE {table}")

        print(f"payouts: {rows:,}   result file: {size_mb:.1f} MB")
        print(f"load awards (INSERT ... SELECT):    {_rate(rows, awards_seconds)}")
        print(f"load choices (encrypt each, COPY):  {_rate(rows, choices_seconds)}")
        print(f"build the batch:                    {_rate(rows, build_seconds)}")
        print(f"release (four eyes, all released):  {_rate(rows, release_seconds)}")
        print(
            f"export (stream + SHA-256 recorded): {_rate(rows, export_seconds)}  "
            f"({recorded.file_lines:,} lines)"
        )
        print(
            f"  the stream alone, again:          {_rate(rows, stream_seconds)}  "
            f"({streamed / 1e6:.1f} MB)"
        )
        print(
            f"  raw COPY TO of the same rows, still encrypted: {_rate(rows, raw_export_seconds)}"
            f"  (ratio export/raw {raw_export_seconds / export_seconds:.2f})"
        )
        print(
            f"result file with 5 bad lines:       {_rate(rows, refused_seconds)}  refused, "
            f"{refused.error_count} errors, nothing applied:"
        )
        for error in refused.errors:
            print(f"    line {error['line']:>7}  {error['column']:<16} {error['message']}")
        print(
            f"result file fixed:                  {_rate(rows, applied_seconds)}  applied: "
            f"{applied.paid:,} paid, {applied.failed:,} failed, {applied.returned:,} returned; "
            f"{delivered:,} awards delivered, {notices:,} notices"
        )
        print(f"raw COPY of the same file (bare):   {_rate(rows, raw_seconds)}")
        print(
            f"ratio import/raw:                   {raw_seconds / applied_seconds:.3f} "
            f"(checks only, the refused file: {raw_seconds / refused_seconds:.3f})"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
