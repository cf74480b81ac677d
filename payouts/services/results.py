"""The bank's result file of a released bank-transfer batch (layout: docs/operating.md,
"Payouts"): uploaded in the admin, stored, COPY'd into a staging table and checked whole in
SQL, then applied in one transaction or refused with every bad line.

Guarantees: a file with any error (a line that matches no payout of the batch, a wrong
amount or currency, a payout already settled, a bad status or date, a reference twice, a
line with the wrong number of fields, a line that is not UTF-8) is refused with each error by
line and column, and nothing of it is applied; a good file settles its payouts
(payouts_settle) in the same transaction that marks it applied; the same file is applied to a
batch at most once (payout_result_applied_once). Applying runs with the batch row locked, so
two files for the same batch are checked and applied one after the other."""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from collections.abc import Iterator
from typing import IO

import psycopg
from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import Storage, storages
from django.db import IntegrityError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from audit.services import Actor, actor_user, audit_record
from compensation.services.population_rows import Header
from compensation.services.population_sql import trimmed
from compensation.services.population_staging import field_count_column, first_non_utf8_line
from config.db import violated_constraint
from config.queueing import task_send_on_commit
from payouts.errors import PayoutError
from payouts.models import PayoutBatch, PayoutResultFile
from payouts.services.bank_files import batch_has_file
from payouts.services.sending import RESULT_APPLY_TASK
from payouts.services.settle import payouts_settle

COLUMNS = ("payout_reference", "status", "amount_minor", "currency", "failure_code", "settled_on")
STORAGE_ALIAS = "payout_results"
ERRORS_KEPT = 300  # errors stored on the result file; error_count has them all
_READ_BLOCK = 1 << 20
_STAGE = "payouts_result_stage"
_RESULTS = "payouts_result_apply"
_CHECKED = "payouts_result_checked"


class ResultRefused(PayoutError):
    code = "payout_result_refused"


def _storage() -> Storage:
    return storages[STORAGE_ALIAS]


def _key(storage_name: str) -> str:
    return f"payouts/results/{storage_name}"


# --- The header -----------------------------------------------------------------------------


def header_parse(first_line: bytes) -> Header:
    """Where each column sits, from the file's first line. ResultRefused naming the problem."""
    if b"\x00" in first_line:
        raise ResultRefused(_("This is not a CSV file (it contains binary data)."))
    try:
        text = first_line.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ResultRefused(
            _("Line 1 is not UTF-8 text. Save the file as CSV UTF-8 and upload it again.")
        ) from None
    row = next(csv.reader([text.strip("\r\n")]), [])
    names = [name.strip().lower() for name in row]
    if not any(names):
        raise ResultRefused(_("The file is empty."))
    missing = [name for name in COLUMNS if name not in names]
    unknown = [name for name in names if name not in COLUMNS]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if missing or unknown or repeated:
        raise ResultRefused(
            _(
                "The first line is not the expected header (missing: %(missing)s; unknown: "
                "%(unknown)s; repeated: %(repeated)s). Expected: %(expected)s."
            )
            % {
                "missing": ", ".join(missing) or "-",
                "unknown": ", ".join(unknown) or "-",
                "repeated": ", ".join(repeated) or "-",
                "expected": ",".join(COLUMNS),
            }
        )
    return Header(positions={name: i for i, name in enumerate(names)}, width=len(names))


# --- Upload ---------------------------------------------------------------------------------


def result_file_upload(*, batch: PayoutBatch, upload: File, actor: Actor) -> PayoutResultFile:
    """Check and store an uploaded result file for a released bank-transfer batch, record it
    (status checking) with its SHA-256, and apply it: in this request when it is small
    (PAYOUTS_RESULT_SYNC_BYTES), else by a worker (task payouts.result_apply) after commit.
    ResultRefused (nothing stored) if it is too big, not UTF-8 CSV or has the wrong header."""
    user = actor_user(actor)
    if user is None:
        raise ResultRefused(_("A result file is uploaded by a staff member."))
    if batch.status != PayoutBatch.Status.RELEASED or not batch_has_file(batch):
        raise ResultRefused(_("Results are taken for a released bank-transfer batch only."))
    size = upload.size or 0
    if size > settings.PAYOUTS_RESULT_MAX_BYTES:
        raise ResultRefused(
            _("The file is too large. The limit is %(mb)s MB.")
            % {"mb": settings.PAYOUTS_RESULT_MAX_BYTES // 1024**2}
        )
    upload.seek(0)
    header_parse(upload.readline(64 * 1024))
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    storage_name = f"{secrets.token_hex(16)}.csv"
    saved = _storage().save(_key(storage_name), upload)
    if saved != _key(storage_name):
        _storage().delete(saved)
        raise RuntimeError("the result file storage did not keep the name it was given")
    with transaction.atomic():
        result_file = PayoutResultFile.objects.create(
            batch=batch,
            sha256=digest.hexdigest(),
            file_name=(upload.name or "")[-200:],
            storage_name=storage_name,
            uploaded_by=user,
        )
        audit_record(
            action="payout.result_upload",
            obj=result_file,
            actor=actor,
            program_id=batch.program_id,
            after={"batch": batch.pk, "sha256": result_file.sha256, "bytes": size},
        )
        if size > settings.PAYOUTS_RESULT_SYNC_BYTES:
            task_send_on_commit(RESULT_APPLY_TASK, {"result_file_id": result_file.pk})
    if size <= settings.PAYOUTS_RESULT_SYNC_BYTES:
        result_file = result_file_apply(result_file_id=result_file.pk) or result_file
    return result_file


# --- Staging --------------------------------------------------------------------------------


def _stage_create(cursor: CursorWrapper) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {_STAGE}, {_CHECKED}, {_RESULTS}")
    cursor.execute(f"DROP SEQUENCE IF EXISTS {_STAGE}_line")
    cursor.execute(f"CREATE TEMPORARY SEQUENCE {_STAGE}_line START 2")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {_STAGE} (line bigint NOT NULL DEFAULT nextval('{_STAGE}_line'), "
        + ", ".join(f"{name} text" for name in COLUMNS)
        + ") ON COMMIT DROP"
    )


def _blocks(raw: IO[bytes]) -> Iterator[bytes]:
    while block := raw.read(_READ_BLOCK):
        yield block


def _copy_fast(cursor: CursorWrapper, raw: IO[bytes], columns: list[str]) -> bool:
    """PostgreSQL's CSV parser on the file's bytes. True if every record was one line (the
    records' numbers are then their lines); False if the file needs the careful path (a
    malformed record, a record over several lines, a blank line, bytes that are not UTF-8)."""
    line_breaks, last = 0, b""
    try:
        with transaction.atomic():
            with cursor.copy(
                f"COPY {_STAGE} ({', '.join(columns)}) FROM STDIN "
                "(FORMAT csv, HEADER true, ENCODING 'UTF8')"
            ) as copy:
                for block in _blocks(raw):
                    line_breaks += block.count(b"\n")
                    last = block[-1:]
                    copy.write(block)
            lines = line_breaks + (0 if last in (b"\n", b"") else 1)
            if cursor.rowcount != lines - 1:
                raise _NotOneLinePerRecord
    except (psycopg.errors.DataError, _NotOneLinePerRecord):
        return False
    return True


class _NotOneLinePerRecord(Exception):
    pass


def _copy_checked(cursor: CursorWrapper, raw: IO[bytes], header: Header) -> list[dict]:
    """Python's csv module on the file: records with the wrong number of fields and a line
    that is not UTF-8 are errors (by line); the other records are staged with their line."""
    errors: list[dict] = []
    cursor.execute(f"TRUNCATE {_STAGE}")
    columns = sorted(header.positions, key=header.positions.__getitem__)
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="", errors="strict")
    reader = csv.reader(text, strict=True)
    line = 1
    try:
        next(reader)
        last_line = reader.line_num
        with cursor.copy(f"COPY {_STAGE} (line, {', '.join(columns)}) FROM STDIN") as copy:
            for row in reader:
                line, last_line = last_line + 1, reader.line_num
                if not row or row == [""]:
                    continue
                if len(row) != header.width:
                    message = _t("expected %(n)s fields, found %(found)s") % {
                        "n": header.width,
                        "found": len(row),
                    }
                    errors.append(_error(line, field_count_column(header, len(row)), message))
                    continue
                copy.write_row((line, *row))
    except UnicodeDecodeError:
        message = _t("this line is not UTF-8 text; the rest of the file was not read")
        errors.append(_error(first_non_utf8_line(raw), "", message))
    except csv.Error as exc:
        message = _t("not valid CSV (%(error)s); the rest of the file was not read")
        errors.append(_error(line + 1, "", message % {"error": exc}))
    finally:
        text.detach()  # the caller closes the file
    return errors


def _error(line: int, column: str, message: str) -> dict:
    return {"line": line, "column": column, "message": message}


# --- The checks, in SQL ---------------------------------------------------------------------

_REF = trimmed("s.payout_reference")
_DATE = "t.settled_on"  # trimmed once, in _CHECKED_FILL's inner select
_VALID_DATE = f"""CASE WHEN {_DATE} ~ '^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]$'
    AND substr({_DATE}, 1, 4)::int >= 1 AND substr({_DATE}, 6, 2)::int BETWEEN 1 AND 12
THEN substr({_DATE}, 9, 2)::int BETWEEN 1 AND extract(day from make_date(
    substr({_DATE}, 1, 4)::int, substr({_DATE}, 6, 2)::int, 1) + interval '1 month - 1 day')
ELSE false END"""

# The staged lines, each field trimmed once (OFFSET 0: not expanded again in every use), with
# the payout of the batch its reference names, if any. The checks read it, and a good file's
# results are taken from it without a second join.
_CHECKED_FILL = f"""
CREATE TEMPORARY TABLE {_CHECKED} ON COMMIT DROP AS
SELECT t.line, t.ref, t.status, t.amount, t.currency, t.failure_code, t.settled_on,
       {_VALID_DATE} AS date_ok,
       p.id AS payout_id, p.status AS payout_status, p.amount_minor AS payout_amount,
       p.currency AS payout_currency
FROM (
    SELECT s.line, upper({_REF}) AS ref, lower({trimmed("s.status")}) AS status,
           {trimmed("s.amount_minor")} AS amount, upper({trimmed("s.currency")}) AS currency,
           {trimmed("s.failure_code")} AS failure_code, {trimmed("s.settled_on")} AS settled_on
    FROM {_STAGE} s
    OFFSET 0
) t
LEFT JOIN payouts_payout p ON p.reference = t.ref AND p.batch_id = %(batch)s
"""  # noqa: S608 (this module's constants; every value is a parameter)

# The checks as (position, column, code, value, expected, condition) over a checked line with
# its first_line (the first line of its reference); the messages are made in Python. Every
# cast sits behind a CASE: a WHERE's AND and OR may be reordered by cost.
_CHECK_LIST = (
    (
        1,
        "payout_reference",
        "CASE WHEN ref = '' THEN 'empty' ELSE 'no_payout' END",
        "ref",
        "''",
        "payout_id IS NULL",
    ),
    (1, "payout_reference", "'repeated'", "ref", "first_line::text", "line > first_line"),
    (2, "status", "'bad_status'", "status", "''", "status NOT IN ('paid', 'failed', 'returned')"),
    (
        2,
        "status",
        "'settled'",
        "status",
        "payout_status",
        "payout_id IS NOT NULL AND payout_status <> 'released' AND line = first_line",
    ),
    (
        3,
        "amount_minor",
        "'bad_amount'",
        "amount",
        "''",
        "NOT (amount ~ '^[0-9]+$' AND length(amount) <= 18)",
    ),
    (
        3,
        "amount_minor",
        "'wrong_amount'",
        "amount",
        "payout_amount::text",
        "CASE WHEN payout_id IS NOT NULL AND amount ~ '^[0-9]+$' AND length(amount) <= 18"
        " THEN amount::bigint <> payout_amount ELSE false END",
    ),
    (
        4,
        "currency",
        "'wrong_currency'",
        "currency",
        "payout_currency",
        "payout_id IS NOT NULL AND currency <> payout_currency",
    ),
    (5, "failure_code", "'long_code'", "left(failure_code, 40)", "''", "length(failure_code) > 40"),
    (6, "settled_on", "'bad_date'", "settled_on", "''", "NOT date_ok"),
    (
        6,
        "settled_on",
        "'future_date'",
        "settled_on",
        "''",
        "CASE WHEN date_ok THEN settled_on::date > (now() AT TIME ZONE %(time_zone)s)::date + 1"
        " ELSE false END",
    ),
)

# Each error as (line, column, code, value, expected) in line order, and how many there are.
# One pass over the checked lines keeps those with any error (a good file: none), and only
# those few are split into their errors; a reference's first line comes from a hash of the
# references that appear more than once (no sort of the whole file).
_CHECKS = f"""
WITH repeated AS (
    SELECT ref, min(line) AS first_line FROM {_CHECKED}
    WHERE ref <> '' GROUP BY ref HAVING count(*) > 1
),
lines AS (
    SELECT c.*, coalesce(r.first_line, c.line) AS first_line
    FROM {_CHECKED} c LEFT JOIN repeated r ON r.ref = c.ref
),
bad AS MATERIALIZED (
    SELECT * FROM lines
    WHERE {" OR ".join(f"({check[5]})" for check in _CHECK_LIST)}
),
errors AS (
    {
    " UNION ALL ".join(
        f"SELECT line, {position} AS position, '{column}' AS col, {code} AS code, "
        f"{value} AS value, {expected} AS expected FROM bad WHERE {condition}"
        for position, column, code, value, expected, condition in _CHECK_LIST
    )
}
)
SELECT line, col, code, value, expected, count(*) OVER ()
FROM errors ORDER BY line, position LIMIT %(kept)s
"""  # noqa: S608 (built from this module's constants; every value is a parameter)

_MESSAGES = {
    "empty": _("is empty"),
    "no_payout": _("%(value)s matches no payout of this batch"),
    "repeated": _("%(value)s appears again (first on line %(expected)s)"),
    "bad_status": _("“%(value)s” is not paid, failed or returned"),
    "settled": _("the payout was settled already (%(expected)s)"),
    "bad_amount": _("“%(value)s” is not a whole number of minor units"),
    "wrong_amount": _("is %(value)s; the payout is %(expected)s"),
    "wrong_currency": _("is “%(value)s”; the payout is in %(expected)s"),
    "long_code": _("is longer than 40 characters"),
    "bad_date": _("“%(value)s” is not a date (YYYY-MM-DD)"),
    "future_date": _("%(value)s is in the future"),
}

# The checked lines as payouts_settle reads them (a file without errors: every line names a
# released payout of the batch and has a valid date).
_RESULTS_FILL = f"""
CREATE TEMPORARY TABLE {_RESULTS} ON COMMIT DROP AS
SELECT payout_id, status AS outcome, failure_code, ''::text AS provider_reference,
       (settled_on::date::timestamp AT TIME ZONE %(time_zone)s) AS settled_at
FROM {_CHECKED}
"""  # noqa: S608 (this module's constants)


def _sql_errors(cursor: CursorWrapper, batch: PayoutBatch, kept: int) -> tuple[list[dict], int]:
    cursor.execute(_CHECKED_FILL, {"batch": batch.pk})
    cursor.execute(f"ANALYZE {_CHECKED}")
    cursor.execute(_CHECKS, {"time_zone": settings.TIME_ZONE, "kept": max(kept, 1)})
    rows = cursor.fetchall()
    total = rows[0][5] if rows else 0
    errors = [
        _error(line, column, str(_MESSAGES[code]) % {"value": value, "expected": expected})
        for line, column, code, value, expected, _total in rows[:kept]
    ]
    return errors, int(total)


# --- Apply ----------------------------------------------------------------------------------


def result_file_apply(*, result_file_id: int) -> PayoutResultFile | None:
    """Check a stored result file whole and apply it, or refuse it with its errors. Runs in
    one transaction; idempotent (a file no longer checking is left as it is, and returned).
    None if there is no such file."""
    with transaction.atomic(durable=True):
        result_file = PayoutResultFile.objects.select_for_update().filter(pk=result_file_id).first()
        if result_file is None or result_file.status != PayoutResultFile.Status.CHECKING:
            return result_file
        batch = PayoutBatch.objects.select_for_update().get(pk=result_file.batch_id)
        refusal = _refusal_before_reading(result_file, batch)
        if refusal:
            return _refuse(result_file, [_error(0, "", refusal)], 1, 0)
        with _storage().open(_key(result_file.storage_name), "rb") as stored:
            raw: IO[bytes] = getattr(stored, "file", stored)
            header = header_parse(raw.readline(64 * 1024))
            raw.seek(0)
            columns = sorted(header.positions, key=header.positions.__getitem__)
            with connection.cursor() as cursor:
                # The checks sort the file by reference and hash the batch's payouts, the
                # settle hashes them again: in memory, not in temporary files (a million lines
                # need ~100 MB). For this transaction only.
                cursor.execute("SET LOCAL work_mem = '256MB'")
                _stage_create(cursor)
                line_errors: list[dict] = []
                if not _copy_fast(cursor, raw, columns):
                    raw.seek(0)
                    line_errors = _copy_checked(cursor, raw, header)
                # A temporary table has no statistics until analysed: without them the
                # checks' joins are planned blind at a million lines.
                cursor.execute(f"ANALYZE {_STAGE}")
                cursor.execute(f"SELECT count(*) FROM {_STAGE}")  # noqa: S608
                staged = cursor.fetchone()[0]
                found, found_total = _sql_errors(cursor, batch, ERRORS_KEPT)
        lines = staged + len(line_errors)
        error_count = len(line_errors) + found_total
        if error_count:
            errors = sorted(line_errors + found, key=lambda e: e["line"])[:ERRORS_KEPT]
            return _refuse(result_file, errors, error_count, lines)
        if not lines:
            return _refuse(result_file, [_error(0, "", _t("The file has no lines."))], 1, 0)
        return _apply(result_file, batch, lines)


def _refusal_before_reading(result_file: PayoutResultFile, batch: PayoutBatch) -> str:
    if PayoutResultFile.objects.filter(
        batch=batch, sha256=result_file.sha256, status=PayoutResultFile.Status.APPLIED
    ).exists():
        return _t("This same file was applied to this batch already.")
    if batch.status != PayoutBatch.Status.RELEASED:
        return _t("The batch is not waiting for results (it is %(status)s).") % {
            "status": batch.get_status_display()
        }
    return ""


def _refuse(
    result_file: PayoutResultFile, errors: list[dict], error_count: int, lines: int
) -> PayoutResultFile:
    result_file.status = PayoutResultFile.Status.REFUSED
    result_file.errors = errors
    result_file.error_count = error_count
    result_file.lines = lines
    result_file.save(update_fields=["status", "errors", "error_count", "lines"])
    _drop(result_file)
    audit_record(
        action="payout.result_refuse",
        obj=result_file,
        program_id=result_file.batch.program_id,
        actor_label="job:payouts.results",
        after={"errors": error_count, "lines": lines, "sha256": result_file.sha256},
    )
    return result_file


def _drop(result_file: PayoutResultFile) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_STAGE}, {_CHECKED}, {_RESULTS}")
        cursor.execute(f"DROP SEQUENCE IF EXISTS {_STAGE}_line")


def _apply(result_file: PayoutResultFile, batch: PayoutBatch, lines: int) -> PayoutResultFile:
    now = timezone.now()
    try:
        with transaction.atomic():
            PayoutResultFile.objects.filter(pk=result_file.pk).update(
                status=PayoutResultFile.Status.APPLIED, applied_at=now, lines=lines
            )
    except IntegrityError as exc:
        if violated_constraint(exc) != "payout_result_applied_once":
            raise
        message = _t("This same file was applied to this batch already.")
        return _refuse(result_file, [_error(0, "", message)], 1, lines)
    with connection.cursor() as cursor:
        cursor.execute(_RESULTS_FILL, {"time_zone": settings.TIME_ZONE})
        cursor.execute(f"ANALYZE {_RESULTS}")
    counts = payouts_settle(
        batch=batch,
        results_table=_RESULTS,
        actor_label=f"result_file:{result_file.pk}",
        actor=result_file.uploaded_by,
    )
    _drop(result_file)
    PayoutResultFile.objects.filter(pk=result_file.pk).update(
        paid=counts.paid, failed=counts.failed, returned=counts.returned
    )
    result_file.refresh_from_db()
    audit_record(
        action="payout.result_apply",
        obj=result_file,
        program_id=batch.program_id,
        actor_label=f"result_file:{result_file.pk}",
        after={
            "lines": lines,
            "paid": counts.paid,
            "failed": counts.failed,
            "returned": counts.returned,
            "sha256": result_file.sha256,
        },
    )
    return result_file
