"""Importing the affected population from a CSV, at tens of millions of rows.

1. load: the file's bytes are COPY'd (never whole in memory) into an UNLOGGED staging table;
   repeated external ids become reject rows. A file that is not UTF-8 CSV with the expected
   header is refused and nothing is written.
2. merge: the staging table goes into AffectedPerson in chunks of lines, each chunk one
   statement (population_sql.chunk_sql: row checks, rejects by line and column, then
   `INSERT ... ON CONFLICT DO UPDATE ... WHERE changed`) in its own transaction with its
   progress, so a killed run resumes where it stopped and re-importing changes nothing.
3. finish: ANALYZE of the person table (issuance plans on its statistics), then the file is
   deleted (population_files).

Line numbers in rejects are the physical line where the row starts in the file, on both load
paths (a quoted field may span lines).
"""

from __future__ import annotations

import csv
import logging
import threading
import time
from pathlib import Path
from typing import IO, BinaryIO

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Case, Value, When
from django.db.models.functions import Now
from django.utils import timezone

from audit.services import Actor, actor_user, audit_record
from compensation import hashing
from compensation.models import AffectedPerson, PopulationImport, PopulationReject, Program
from compensation.services import population_sql
from compensation.services import population_staging as staging
from compensation.services.population_files import (
    source_delete,
    source_gone_message,
    source_open,
    source_store,
)
from compensation.services.population_rows import header_parse
from config import queueing
from config.db import advisory_lock_held

logger = logging.getLogger(__name__)

# Lines per merged chunk; None reads settings.POPULATION_IMPORT_CHUNK_LINES.
MERGE_CHUNK_LINES: int | None = None
# Chunks merged at once, each on its own database connection (a core of PostgreSQL's); None
# reads settings.POPULATION_IMPORT_WORKERS.
MERGE_WORKERS: int | None = None
_LOCK_NAMESPACE = 7301  # advisory lock class for population imports
IMPORT_TASK = "compensation.population_import_run"

csv.field_size_limit(1_000_000)


def _stage_table(population_import: PopulationImport) -> str:
    return f"population_stage_{int(population_import.pk)}"


def file_header_check(head: bytes) -> None:
    """Check the first bytes of an upload before storing it: UTF-8 text whose first line is
    the expected header. Raises ValueError with a message for the operator."""
    if b"\x00" in head:
        raise ValueError("This is not a CSV file (it contains binary data).")
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            raise ValueError(
                "The file is not UTF-8 text. Save it as 'CSV UTF-8' and upload it again."
            ) from exc
        text = head[: exc.start].decode("utf-8-sig")
    first_line = text.splitlines()[0] if text.strip() else ""
    if not first_line:
        raise ValueError("The file is empty.")
    header_parse(next(csv.reader([first_line])))


def population_import_run(*, import_id: int) -> PopulationImport:
    """Run (or resume) an import to the end. Safe to call twice: a finished import is left
    alone, a failed one resumes from what the database says is done."""
    # One runner per import at a time, across workers; released when this call ends (a
    # transaction-level lock on a connection of its own: safe through a pooler).
    with advisory_lock_held(_LOCK_NAMESPACE, import_id) as held:
        if not held:
            return PopulationImport.objects.get(pk=import_id)
        return _run_locked(import_id)


def _run_locked(import_id: int) -> PopulationImport:
    claimed = PopulationImport.objects.filter(
        pk=import_id,
        status__in=[
            PopulationImport.Status.PENDING,
            PopulationImport.Status.FAILED,
            PopulationImport.Status.LOADING,
            PopulationImport.Status.MERGING,
        ],
    ).update(
        # A resumed import that was staged goes on merging; the others read the file.
        status=Case(
            When(staged_at__isnull=False, then=Value(PopulationImport.Status.MERGING)),
            default=Value(PopulationImport.Status.LOADING),
        ),
        error="",
        heartbeat_at=Now(),
    )
    population_import = PopulationImport.objects.get(pk=import_id)
    if not claimed:
        return population_import
    if population_import.started_at is None:
        population_import.started_at = timezone.now()
        population_import.save(update_fields=["started_at"])
    try:
        if population_import.staged_at is None:
            if gone := source_gone_message(population_import):
                return _refuse(population_import, gone)
            refusal = _load(population_import)
            if refusal:
                return _refuse(population_import, refusal)
        _merge(population_import)
    except Exception as exc:
        logger.exception("population import %s failed", import_id)
        PopulationImport.objects.filter(pk=import_id).update(
            status=PopulationImport.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    return _finish(population_import)


def _refuse(population_import: PopulationImport, message: str) -> PopulationImport:
    with transaction.atomic():
        with connection.cursor() as cursor:
            staging.stage_drop(cursor, _stage_table(population_import))
        PopulationReject.objects.filter(population_import=population_import).delete()
        population_import.status = PopulationImport.Status.REFUSED
        population_import.error = message
        population_import.finished_at = timezone.now()
        population_import.rows_rejected = 0
        population_import.save(update_fields=["status", "error", "finished_at", "rows_rejected"])
        audit_record(
            action="population_import.refuse",
            obj=population_import,
            actor_label="job:population_import",
            after={"error": message},
        )
    source_delete(population_import)  # refused for good: nothing will read it again
    return population_import


def _load(population_import: PopulationImport) -> str | None:
    """Bring the file into the staging table and move bad rows to the reject table.
    Returns a refusal message (nothing kept), or None."""
    table = _stage_table(population_import)

    def opener() -> IO[bytes]:
        return source_open(population_import)

    with opener() as raw:
        first_line = raw.readline()
    try:
        header_line = first_line.decode("utf-8-sig")
        header = header_parse(next(csv.reader([header_line])))
    except (ValueError, csv.Error, UnicodeDecodeError, StopIteration) as exc:
        return (
            _refusal_text(exc, 1) if not isinstance(exc, StopIteration) else ("The file is empty.")
        )
    columns = sorted(header.positions, key=header.positions.__getitem__)
    staging.stage_create(table)
    PopulationReject.objects.filter(population_import=population_import).delete()
    # Records of the fast path that span several lines of the file (None: the careful path
    # numbers rows by their physical line itself).
    multiline: list[tuple[int, int]] | None
    try:
        rows_read, multiline = staging.copy_fast(
            population_import, table, opener, len(first_line), columns
        )
    except psycopg.errors.DataError as exc:
        cause = exc
        if isinstance(
            cause, psycopg.errors.CharacterNotInRepertoire | psycopg.errors.UntranslatableCharacter
        ):
            return _refusal_text(
                UnicodeDecodeError("utf-8", b"", 0, 1, "bad"), staging.first_non_utf8_line(opener)
            )
        if not isinstance(cause, psycopg.errors.BadCopyFileFormat):
            raise
        # Some record has the wrong number of fields: read the file with Python's csv module,
        # reject those records by line, and stage the rest. Slower, and only for such files.
        staging.stage_create(table)
        PopulationReject.objects.filter(population_import=population_import).delete()
        multiline = None
        try:
            rows_read = staging.copy_checked(population_import, table, opener, header, columns)
        except UnicodeDecodeError as err:
            return _refusal_text(err, staging.first_non_utf8_line(opener))
        except csv.Error as err:
            return _refusal_text(err, 0)

    with transaction.atomic(), connection.cursor() as cursor:
        if multiline:
            staging.line_shifts_fill(cursor, table, multiline)
        # Repeats first (a whole-file question); each chunk's rows are checked as it merges.
        _duplicates_reject(cursor, population_import, table)
        cursor.execute(population_sql.categories_map_sql(table), population_sql.check_params())
        # Usually a few dozen spellings (hashed by each chunk); a file with millions of distinct
        # spellings gets look-ups through this index instead.
        cursor.execute(f"CREATE UNIQUE INDEX ON {table}_categories (raw)")
        # COPY appended the rows in line order: a BRIN index finds a chunk's lines at almost
        # no cost to build.
        cursor.execute(f"CREATE INDEX ON {table} USING brin (line)")
        cursor.execute(f"ANALYZE {table}")
        cursor.execute(f"ANALYZE {table}_categories")
        cursor.execute(f"SELECT count(*) FROM {table}")
        staged = cursor.fetchone()[0]
        rejected = PopulationReject.objects.filter(population_import=population_import).count()
        population_import.rows_read = rows_read
        population_import.rows_rejected = rejected
        population_import.rows_staged = staged
        population_import.staged_at = timezone.now()
        population_import.status = PopulationImport.Status.MERGING
        population_import.save(
            update_fields=["rows_read", "rows_rejected", "rows_staged", "staged_at", "status"]
        )
    return None


def _refusal_text(exc: Exception, line: int) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return (
            f"Line {line} is not UTF-8 text, so the file was refused and nothing was "
            "written. Save it as 'CSV UTF-8' and upload it again."
        )
    if isinstance(exc, csv.Error):
        return f"Line {line} is not valid CSV ({exc}); nothing was written."
    return f"{exc} Nothing was written."


def _duplicates_reject(
    cursor: CursorWrapper, population_import: PopulationImport, table: str
) -> int:
    """A file that lists one external id twice keeps the first row; the others are rejects.
    Found by a hash aggregate (no sort of the whole file); empty ids are left to the checks."""
    key = population_sql.trimmed("external_id")
    cursor.execute("SET LOCAL work_mem = '256MB'")
    cursor.execute(
        f"""
        WITH repeated AS (
            SELECT {key} AS external_id, min(line) AS first_line FROM {table}
            WHERE {key} <> '' GROUP BY 1 HAVING count(*) > 1
        ), gone AS (
            DELETE FROM {table} s USING repeated r
            WHERE {population_sql.trimmed("s.external_id")} = r.external_id
                AND s.line <> r.first_line
            RETURNING s.line, r.first_line
        )
        INSERT INTO compensation_populationreject (population_import_id, line, "column", message)
        SELECT %s, {population_sql.physical_line(table, "gone.line")}, 'external_id',
            'repeats the external id given on line '
            || {population_sql.physical_line(table, "gone.first_line")}
        FROM gone
        """,
        [population_import.pk],
    )
    return cursor.rowcount


def _merge(population_import: PopulationImport) -> None:
    """Merge every chunk not yet done, MERGE_WORKERS at a time (one database connection
    each: PostgreSQL runs one statement on one core)."""
    table = _stage_table(population_import)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO compensation_populationimportchunk
                    (population_import_id, line_from, line_to, rows_merged, rows_inserted,
                     rows_updated)
                SELECT %(import)s, lo, lo + %(size)s, 0, 0, 0
                FROM generate_series(0, (SELECT coalesce(max(line), 0) FROM {table}) - 1,
                                     %(size)s) AS lo
                ON CONFLICT (population_import_id, line_from) DO NOTHING""",
            {
                "import": population_import.pk,
                "size": MERGE_CHUNK_LINES or settings.POPULATION_IMPORT_CHUNK_LINES,
            },
        )
    # Other connections cannot see a caller's open transaction: merge on this one then.
    workers = MERGE_WORKERS or settings.POPULATION_IMPORT_WORKERS
    workers = 1 if connection.in_atomic_block else max(1, workers)
    if workers == 1:
        _merge_worker(population_import, table)
        return
    errors: list[BaseException] = []

    def work() -> None:
        try:
            _merge_worker(population_import, table)
        except BaseException as exc:  # re-raised below, in the caller's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _merge_worker(population_import: PopulationImport, table: str) -> None:
    sql = population_sql.chunk_sql(table)
    ipad, opad = hashing.hmac_pads()
    params = {
        "program": population_import.program_id,
        "import": population_import.pk,
        "ipad": ipad,
        "opad": opad,
        **population_sql.check_params(),
    }
    while True:
        started = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, line_from, line_to FROM compensation_populationimportchunk "
                "WHERE population_import_id = %s AND done_at IS NULL ORDER BY line_from "
                "LIMIT 1 FOR UPDATE SKIP LOCKED",
                [population_import.pk],
            )
            row = cursor.fetchone()
            if row is None:
                return
            chunk_id, lo, hi = row
            # The chunk's rows are held twice in memory (trimmed, checked): keep them off disk.
            cursor.execute("SET LOCAL work_mem = '128MB'")
            cursor.execute(sql, {**params, "lo": lo, "hi": hi})
            merged, rejected, inserted, updated = cursor.fetchone()
            unchanged = merged - rejected - inserted - updated
            seconds = time.monotonic() - started
            # The chunk's counts commit with its rows: a resumed run never counts it twice.
            cursor.execute(
                "UPDATE compensation_populationimportchunk SET done_at = now(), "
                "rows_merged = %s, rows_inserted = %s, rows_updated = %s, seconds = %s "
                "WHERE id = %s",
                [merged, inserted, updated, seconds, chunk_id],
            )
            cursor.execute(
                "UPDATE compensation_populationimport SET rows_merged = rows_merged + %s, "
                "rows_inserted = rows_inserted + %s, rows_updated = rows_updated + %s, "
                "rows_unchanged = rows_unchanged + %s, rows_rejected = rows_rejected + %s, "
                "heartbeat_at = now() WHERE id = %s",
                [merged, inserted, updated, unchanged, rejected, population_import.pk],
            )
        logger.info(
            "population import %s merged lines %s-%s in %.2fs",
            population_import.pk,
            lo + 1,
            hi,
            seconds,
        )


def _finish(population_import: PopulationImport) -> PopulationImport:
    with connection.cursor() as cursor:
        # The merge may have written millions of people that autovacuum has not looked at yet:
        # without statistics the next issuance's plan is a guess (a sample: seconds, not a scan).
        cursor.execute(f"ANALYZE {AffectedPerson._meta.db_table}")
    with transaction.atomic():
        with connection.cursor() as cursor:
            staging.stage_drop(cursor, _stage_table(population_import))
        population_import.refresh_from_db()
        population_import.status = PopulationImport.Status.DONE
        population_import.finished_at = timezone.now()
        population_import.save(update_fields=["status", "finished_at"])
        audit_record(
            action="population_import.finish",
            obj=population_import,
            actor_label="job:population_import",
            after={
                "rows_read": population_import.rows_read,
                "rows_rejected": population_import.rows_rejected,
                "rows_inserted": population_import.rows_inserted,
                "rows_updated": population_import.rows_updated,
            },
        )
    source_delete(population_import)
    return population_import


def population_import_create(
    *,
    program: Program,
    source: BinaryIO | Path,
    original_name: str,
    actor: Actor = None,
    actor_label: str = "",
    ip_address: str | None = None,
    copy_to_store: bool = True,
) -> PopulationImport:
    """Check an uploaded file's header, store it under a server-made name in the population
    storage, record the import and start it in the background after commit. Raises
    ImportRefused and writes nothing if the file is not a UTF-8 CSV with the expected header.
    A broker that cannot be reached does not fail the request: the import is committed
    pending, and beat's resume sweep (population_runs.population_imports_resume_stale) starts
    it once the broker is back.

    `source` is a binary file object (an upload) or a Path to a file on this server (the
    management command). A Path is stored too unless copy_to_store=False: then it is read
    where it is, so only a worker that sees the same path can run the import."""
    from compensation.errors import ImportRefused

    if isinstance(source, Path):
        with source.open("rb") as handle:
            head = handle.read(65536)
    else:
        head = source.read(65536)
        source.seek(0)
    try:
        file_header_check(head)
    except ValueError as exc:
        raise ImportRefused(f"{original_name}: {exc}") from exc

    stored: str
    if not copy_to_store:
        assert isinstance(source, Path), "an upload is stored first (copy_to_store)"
        stored = str(source.resolve())
        size = source.stat().st_size
    elif isinstance(source, Path):
        with source.open("rb") as handle:
            stored, size = source_store(handle)
    else:
        stored, size = source_store(source)

    with transaction.atomic():
        population_import = PopulationImport.objects.create(
            program=program,
            source_path=stored,
            original_name=original_name[:255],
            size_bytes=size,
            created_by=actor_user(actor),
        )
        audit_record(
            action="population_import.create",
            obj=population_import,
            actor=actor,
            actor_label=actor_label,
            ip_address=ip_address,
            after={"program": program.pk, "file": original_name, "bytes": size},
        )
        queueing.task_send_on_commit(IMPORT_TASK, {"import_id": population_import.pk})
    return population_import
