"""Importing a list of compromised instruments from a CSV: all of it or nothing.

The file (header `instrument_number,compromised_at,loaded_value`, in any order) is read once
by Python's csv module, which knows the physical line each record starts on, and COPY'd into
a temporary staging table that lives only inside the import's transaction (dropped before
it commits; not WAL-logged, seen by no other session). Every check then runs in SQL over the
whole table and reports by line and column: the number (6 to 32 letters or digits after
NFKC, spaces and hyphens removed), repeats in the file, numbers already on the program's list
under any key version, the time it was compromised, the loaded value in the program's
currency. One problem refuses the file: the import is recorded as refused with its reject
report and no instrument is written. Otherwise one INSERT ... SELECT writes every instrument
with its keyed hash (computed by PostgreSQL from the key's HMAC pads) and last four; the
number itself is never written to a table that outlives the transaction."""

from __future__ import annotations

import csv
import hashlib
import io
from typing import IO

from django.conf import settings
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

from audit.services import Actor, actor_user, audit_record
from compensation.engine.money import money_exponent
from compensation.models import Program
from compensation.services.population_staging import first_non_utf8_line
from instruments import hashing
from instruments.models import InstrumentImport, InstrumentReject

COLUMNS = ("instrument_number", "compromised_at", "loaded_value")
REJECTS_KEPT = 10_000  # a report longer than this says so in its last row
_STAGE = "instrument_stage"

csv.field_size_limit(100_000)


class _Digest:
    """Reads a binary file through, keeping its SHA-256 and size."""

    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()
        self.size = 0


def _header(first: list[str]) -> tuple[list[str], str | None]:
    """The columns in file order, or a refusal naming the column."""
    names = [name.strip().lower() for name in first]
    for position, name in enumerate(names, start=1):
        if name not in COLUMNS:
            return names, f"column {position} ('{name[:40]}') is not one of {', '.join(COLUMNS)}"
        if names.index(name) != position - 1:
            return names, f"column {position} ('{name}') appears twice"
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        return names, f"the header has no {', '.join(missing)} column"
    return names, None


def _stage(cursor: CursorWrapper, text: IO[str], digest: _Digest) -> tuple[int, list[tuple]]:
    """COPY the records into the staging table. Returns the records read and the rejects of
    records with the wrong number of fields (they are not staged)."""
    reader = csv.reader(text, strict=True)
    header = next(reader, None)
    if header is None:
        return 0, [(1, "-", "the file is empty")]
    names, refusal = _header(header)
    if refusal:
        return 0, [(1, "header", refusal)]
    rejects: list[tuple] = []
    read = 0
    last_line = reader.line_num
    with cursor.copy(f"COPY {_STAGE} (line, {', '.join(names)}) FROM STDIN") as copy:
        try:
            for row in reader:
                line, last_line = last_line + 1, reader.line_num
                if not row or row == [""]:
                    continue
                read += 1
                if len(row) != len(names):
                    column = (
                        names[len(row)]
                        if len(row) < len(names)
                        else f"column {len(names) + 1} (after {names[-1]})"
                    )
                    rejects.append(
                        (line, column, f"expected {len(names)} fields, found {len(row)}")
                    )
                    continue
                copy.write_row((line, *row))
        except csv.Error as exc:
            rejects.append((last_line + 1, "-", f"not readable as CSV ({exc})"))
    return read, rejects


def _checks_sql(exponent: int, versions: list[int]) -> tuple[str, dict]:
    """One statement that returns every (line, column, problem) of the staged rows."""
    amount = r"^[0-9]{1,15}$" if exponent == 0 else rf"^[0-9]{{1,15}}(\.[0-9]{{1,{exponent}}})?$"
    params: dict = {
        "program": None,
        "pattern": hashing.NUMBER_PATTERN,
        "amount": amount,
        "zone": settings.TIME_ZONE,
        "time_pattern": TIME_PATTERN,
    }
    on_list = []
    for version in versions:
        ipad, opad = hashing.hmac_pads(version)
        params[f"ipad{version}"], params[f"opad{version}"] = ipad, opad
        on_list.append(
            f"(i.key_version = {int(version)} AND i.number_hash = sha256(%(opad{version})s::bytea"
            f" || sha256(%(ipad{version})s::bytea || convert_to('instrument:' || s.norm, 'UTF8'))))"
        )
    decimals = "no decimals" if exponent == 0 else f"at most {exponent} decimals"
    sql = f"""
        WITH s AS (
            SELECT line, number, value AS compromised_at, loaded_value,
                   CASE WHEN number ~ %(pattern)s THEN number END AS norm,
                   {_TIME_SQL} AS at
            FROM (
                SELECT line,
                       translate(regexp_replace(normalize(btrim(coalesce(instrument_number, '')),
                                                          NFKC), '[[:space:]-]+', '', 'g'),
                                 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')
                           AS number,
                       btrim(coalesce(compromised_at, '')) AS value,
                       regexp_match(btrim(coalesce(compromised_at, '')), %(time_pattern)s) AS m,
                       btrim(coalesce(loaded_value, '')) AS loaded_value
                FROM {_STAGE}
                OFFSET 0  -- a fence: m is matched once a row, not once per use in the CASE
            ) trimmed
        )
        SELECT line, 'instrument_number', 'is empty' FROM s WHERE number = ''
        UNION ALL
        SELECT line, 'instrument_number', 'is not 6 to 32 letters or digits'
        FROM s WHERE number <> '' AND norm IS NULL
        UNION ALL
        SELECT line, 'instrument_number', 'appears again (first on line ' || first || ')'
        FROM (SELECT line, min(line) OVER (PARTITION BY norm) AS first
              FROM s WHERE norm IS NOT NULL) repeats
        WHERE line > first
        UNION ALL
        SELECT s.line, 'instrument_number', 'is already on the program''s list'
        FROM s WHERE s.norm IS NOT NULL AND EXISTS (
            SELECT 1 FROM instruments_compromisedinstrument i
            WHERE i.program_id = %(program)s AND ({" OR ".join(on_list)}))
        UNION ALL
        SELECT line, 'compromised_at', 'is empty' FROM s WHERE compromised_at = ''
        UNION ALL
        SELECT line, 'compromised_at',
               'is not a date (YYYY-MM-DD) or an ISO 8601 time (2025-03-01T14:30+09:00)'
        FROM s WHERE compromised_at <> '' AND at IS NULL
        UNION ALL
        SELECT line, 'compromised_at', 'is in the future'
        FROM s WHERE at > now()
        UNION ALL
        SELECT line, 'loaded_value', 'is empty' FROM s WHERE loaded_value = ''
        UNION ALL
        SELECT line, 'loaded_value', 'is not an amount of 0 or more with {decimals}'
        FROM s WHERE loaded_value <> '' AND loaded_value !~ %(amount)s
        ORDER BY 1, 2
    """  # noqa: S608
    return sql, params


# The time of a cell as an expression over `value` (the trimmed text) and `m` (its
# regexp_match against TIME_PATTERN), NULL when it is not a time: each part is range-checked
# before the cast, so the cast cannot raise, and it is plain SQL (no function, no exception
# block, so no subtransaction per row). Groups of m: 1-3 the date, 5-6 hour and minute, 8
# seconds, 10 the offset, 11 and 13 its hours and minutes. Without an offset, read in `zone`.
TIME_PATTERN = (
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"([T ]([0-9]{2}):([0-9]{2})(:([0-9]{2})(\.[0-9]+)?)?)?"
    r"(Z|[+-]([0-9]{2})(:?([0-9]{2}))?)?$"
)
_TIME_SQL = """CASE
        WHEN m IS NULL THEN NULL
        WHEN m[1]::int < 1 OR m[2]::int NOT BETWEEN 1 AND 12 THEN NULL
        WHEN m[3]::int < 1
          OR m[3]::int > extract(day FROM make_date(m[1]::int, m[2]::int, 1)
                                           + interval '1 month - 1 day') THEN NULL
        WHEN coalesce(m[5]::int, 0) > 23 OR coalesce(m[6]::int, 0) > 59
          OR coalesce(m[8]::int, 0) > 59 THEN NULL
        WHEN coalesce(m[11]::int, 0) > 15 OR coalesce(m[13]::int, 0) > 59 THEN NULL
        WHEN m[10] IS NOT NULL THEN value::timestamptz
        ELSE value::timestamp AT TIME ZONE %(zone)s
    END"""


def _insert_sql(exponent: int, version: int) -> str:
    return f"""
        INSERT INTO instruments_compromisedinstrument
            (program_id, instrument_import_id, kind, number_hash, key_version, last4,
             compromised_at, loaded_value_minor, currency, frozen_at, freeze_reason)
        SELECT %(program)s, %(import)s, %(kind)s,
               sha256(%(opad)s::bytea || sha256(%(ipad)s::bytea
                      || convert_to('instrument:' || number, 'UTF8'))),
               {int(version)}, right(number, 4),
               {_TIME_SQL},
               (btrim(loaded_value)::numeric * {10**exponent})::bigint, %(currency)s, NULL, ''
        FROM (
            SELECT line, loaded_value, btrim(compromised_at) AS value,
                   regexp_match(btrim(compromised_at), %(time_pattern)s) AS m,
                   translate(regexp_replace(normalize(btrim(instrument_number), NFKC),
                                            '[[:space:]-]+', '', 'g'),
                             'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') AS number
            FROM {_STAGE}
            OFFSET 0  -- a fence: m is matched once a row, not once per use in the CASE
        ) staged
        ORDER BY line
    """  # noqa: S608


def instrument_import_apply(
    *,
    program: Program,
    kind: str,
    source: IO[bytes],
    original_name: str = "",
    actor: Actor = None,
    actor_label: str = "",
    ip_address: str | None = None,
) -> InstrumentImport:
    """Import a CSV of compromised instruments into `program`'s list, whole or not at all.

    Guarantees: either every row is written (hash of the normalized number under the newest
    key version, last four, compromised time, loaded value in minor units of the program's
    currency) or none is, and the import is recorded as refused with every problem found, by
    line and column, in its reject report (never a row's content). The import and its audit
    row commit together. The plain number is held only by this transaction's temporary
    table. A naive time is read in settings.TIME_ZONE."""
    digest = _Digest()
    source.seek(0)
    for block in iter(lambda: source.read(1024 * 1024), b""):
        digest.sha256.update(block)
        digest.size += len(block)
    bad_line = first_non_utf8_line(source)
    source.seek(0)
    exponent = money_exponent(program.currency)
    version = hashing.current_version()
    with transaction.atomic(durable=True):
        instrument_import = InstrumentImport.objects.create(
            program=program,
            kind=kind,
            original_name=original_name[-200:],
            sha256=digest.sha256.hexdigest(),
            size_bytes=digest.size,
            status=InstrumentImport.Status.REFUSED,
            key_version=version,
            created_by=actor_user(actor),
        )
        rejects: list[tuple] = []
        read = 0
        with connection.cursor() as cursor:
            if bad_line:
                rejects = [(bad_line, "-", "is not UTF-8 text: save the file as 'CSV UTF-8'")]
            else:
                cursor.execute(
                    f"CREATE TEMPORARY TABLE {_STAGE} (line bigint NOT NULL, "
                    + ", ".join(f"{c} text" for c in COLUMNS)
                    + ") ON COMMIT DROP"
                )
                text = io.TextIOWrapper(source, encoding="utf-8-sig", newline="")
                try:
                    read, rejects = _stage(cursor, text, digest)
                finally:
                    text.detach()
                if read == 0 and not rejects:
                    rejects = [(2, "-", "the file has a header and no rows")]
                if read:
                    sql, params = _checks_sql(exponent, sorted(hashing.hash_keys()))
                    params["program"] = program.pk
                    cursor.execute(sql, params)
                    rejects = sorted([*rejects, *cursor.fetchall()])
            if rejects:
                _refuse(cursor, instrument_import, read, rejects)
            else:
                ipad, opad = hashing.hmac_pads(version)
                cursor.execute(
                    _insert_sql(exponent, version),
                    {
                        "program": program.pk,
                        "import": instrument_import.pk,
                        "kind": kind,
                        "ipad": ipad,
                        "opad": opad,
                        "currency": program.currency,
                        "zone": settings.TIME_ZONE,
                        "time_pattern": TIME_PATTERN,
                    },
                )
                instrument_import.status = InstrumentImport.Status.APPLIED
                instrument_import.rows_read = read
                instrument_import.rows_imported = cursor.rowcount
                instrument_import.save(update_fields=["status", "rows_read", "rows_imported"])
            cursor.execute(f"DROP TABLE IF EXISTS {_STAGE}")
        audit_record(
            action=f"instrument_import.{instrument_import.status}",
            obj=instrument_import,
            actor=actor,
            actor_label=actor_label or ("" if actor_user(actor) else "job:instrument_import"),
            ip_address=ip_address,
            after={
                "kind": kind,
                "sha256": instrument_import.sha256,
                "rows_read": instrument_import.rows_read,
                "rows_imported": instrument_import.rows_imported,
                "rows_rejected": instrument_import.rows_rejected,
                "key_version": version,
            },
        )
    return instrument_import


def _refuse(
    cursor: CursorWrapper, instrument_import: InstrumentImport, read: int, rejects: list[tuple]
) -> None:
    kept = rejects[:REJECTS_KEPT]
    if len(rejects) > len(kept):
        last = kept[-1][0]
        kept.append((last, "-", f"{len(rejects) - len(kept):,} more problems after this line"))
    with cursor.copy(
        'COPY instruments_instrumentreject (instrument_import_id, line, "column", message) '
        "FROM STDIN"
    ) as copy:
        for line, column, message in kept:
            copy.write_row((instrument_import.pk, line, column, message[:300]))
    instrument_import.rows_read = read
    instrument_import.rows_rejected = len({line for line, _c, _m in rejects})
    instrument_import.error = (
        f"{len(rejects):,} problem(s) on {instrument_import.rows_rejected:,} line(s); "
        "nothing was imported"
    )
    instrument_import.save(update_fields=["rows_read", "rows_rejected", "error"])


__all__ = ["COLUMNS", "InstrumentReject", "instrument_import_apply"]
