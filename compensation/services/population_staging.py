"""Getting a population file into its staging table: PostgreSQL's own CSV parser on the
file's bytes when the file is well formed, Python's csv module when it is not.

Rows are reported by the physical line of the file where they start (what an editor shows).
The careful path stages that line itself. The fast path numbers records (COPY cannot say
where a record started), and a quoted field that spans lines shifts every later line: the
blocks where records outnumber line breaks are noted while reading (bytes.count, no per-row
Python), and `{table}_shift` records, for each record that spans lines, how many lines the
records up to it added; population_sql.physical_line turns a record number into a line."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import IO

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models.functions import Now

from compensation.models import PopulationImport
from compensation.services.population_rows import ALL_COLUMNS, Header

# Opens the import's file from its start (population_files.source_open): a stream from the
# storage, never a local path, so the file may live in an object store.
Opener = Callable[[], IO[bytes]]

LOAD_BATCH_ROWS = 100_000
LOAD_BLOCK_BYTES = 16 * 1024 * 1024


def stage_drop(cursor: CursorWrapper, table: str) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {table}, {table}_categories, {table}_shift")
    cursor.execute(f"DROP SEQUENCE IF EXISTS {table}_line")


def stage_create(table: str) -> None:
    """A fresh UNLOGGED staging table of raw text; `line` numbers records from 2 (the header
    is line 1) in the order COPY reads them."""
    with connection.cursor() as cursor:
        stage_drop(cursor, table)
        cursor.execute(f"CREATE SEQUENCE {table}_line START 2")
        cursor.execute(
            f"CREATE UNLOGGED TABLE {table} (line bigint NOT NULL DEFAULT nextval('{table}_line'), "
            + ", ".join(f"{c} text" for c in ALL_COLUMNS)
            + ")"
        )
        cursor.execute(
            f"CREATE UNLOGGED TABLE {table}_shift (line bigint PRIMARY KEY, shift bigint NOT NULL)"
        )


def file_blocks(source_open: Opener, start: int) -> Iterator[bytes]:
    """The file from byte `start` in blocks that end on a record boundary: after a newline
    that is not inside a quoted field (an even number of quote characters so far)."""
    carry = b""
    with source_open() as raw:
        raw.read(start)  # read past, not seek: a stream from an object store may not seek
        while block := raw.read(LOAD_BLOCK_BYTES):
            data = carry + block
            cut = len(data)
            while True:
                cut = data.rfind(b"\n", 0, cut)
                if cut < 0 or data.count(b'"', 0, cut + 1) % 2 == 0:
                    break
            if cut < 0:
                carry = data
                continue
            carry = data[cut + 1 :]
            yield data[: cut + 1]
    if carry:
        yield carry


def _line_breaks(block: bytes) -> int:
    """Line breaks as Python's universal newlines count them (\n, \r\n, a lone \r); a
    block's last line counts even without one."""
    breaks = block.count(b"\n") + block.count(b"\r") - block.count(b"\r\n")
    return breaks if block.endswith((b"\n", b"\r")) else breaks + 1


def copy_fast(
    population_import: PopulationImport,
    table: str,
    source_open: Opener,
    start: int,
    columns: list[str],
) -> tuple[int, list[tuple[int, int]]]:
    """COPY the file's bytes straight into staging (PostgreSQL parses the CSV), a block per
    transaction so progress shows. Raises DataError if a record is malformed. Returns the
    records read and the record numbers (first, last) of the blocks where some record spans
    several lines."""
    rows_read = 0
    multiline: list[tuple[int, int]] = []
    for block in file_blocks(source_open, start):
        with transaction.atomic(), connection.cursor() as cursor:
            with cursor.copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv, ENCODING 'UTF8')"
            ) as copy:
                copy.write(block)
            if _line_breaks(block) > cursor.rowcount:
                multiline.append((rows_read + 2, rows_read + cursor.rowcount + 1))
            rows_read += cursor.rowcount
            PopulationImport.objects.filter(pk=population_import.pk).update(
                rows_read=rows_read, heartbeat_at=Now()
            )
    return rows_read, multiline


def line_shifts_fill(cursor: CursorWrapper, table: str, multiline: list[tuple[int, int]]) -> None:
    """Fill `{table}_shift` from the blocks copy_fast noted: for each record that spans
    lines, the lines added by it and every such record before it."""
    fields = "concat_ws(chr(31), " + ", ".join(ALL_COLUMNS) + ")"
    spans = " OR ".join("line BETWEEN %s AND %s" for _ in multiline)
    cursor.execute(
        # The staging table's name is made by the import (population_stage_<id>).
        f"""INSERT INTO {table}_shift (line, shift)
            SELECT line, sum(extra) OVER (ORDER BY line)
            FROM (
                SELECT line, length(t) - length(replace(t, E'\\n', ''))
                    + length(t) - length(replace(t, E'\\r', ''))
                    - (length(t) - length(replace(t, E'\\r\\n', ''))) / 2 AS extra
                FROM (SELECT line, {fields} AS t FROM {table} WHERE {spans}) record
            ) spanning
            WHERE extra > 0""",  # noqa: S608
        [bound for span in multiline for bound in span],
    )


def field_count_column(header: Header, found: int) -> str:
    """The column a record with the wrong number of fields is reported at: the first one
    missing, or where the surplus starts ("column 9 (after data_categories)")."""
    names = sorted(header.positions, key=header.positions.__getitem__)
    if found < header.width:
        return names[found]
    return f"column {header.width + 1} (after {names[-1]})"


def copy_checked(
    population_import: PopulationImport,
    table: str,
    source_open: Opener,
    header: Header,
    columns: list[str],
) -> int:
    """The careful path: Python's csv reader finds records with the wrong number of fields
    (rejected by line and column); the others are staged with the line they start on."""
    rows_read = 0
    with source_open() as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="", errors="strict")
        reader = csv.reader(text, strict=True)
        next(reader)
        # line_num is the last line a record took: the next record starts on the line after.
        last_line = reader.line_num
        done = False
        while not done:
            rejects: list[tuple[int, str, str]] = []
            with transaction.atomic(), connection.cursor() as cursor:
                with cursor.copy(f"COPY {table} (line, {', '.join(columns)}) FROM STDIN") as copy:
                    batch = 0
                    for row in reader:
                        line, last_line = last_line + 1, reader.line_num
                        if not row:
                            continue
                        batch += 1
                        if len(row) != header.width:
                            rejects.append(
                                (
                                    line,
                                    field_count_column(header, len(row)),
                                    f"expected {header.width} fields, found {len(row)}",
                                )
                            )
                        else:
                            copy.write_row((line, *row))
                        if batch >= LOAD_BATCH_ROWS:
                            break
                    else:
                        done = True
                rejects_write(cursor, population_import, rejects)
                rows_read += batch
                PopulationImport.objects.filter(pk=population_import.pk).update(
                    rows_read=rows_read, heartbeat_at=Now()
                )
    return rows_read


def first_non_utf8_line(source: Opener | IO[bytes]) -> int:
    """The first line (1-based) that is not UTF-8, 0 if none: the decoder reads ahead, so its
    position is not the line; find the line itself. `source` opens the file, or is a binary
    file (read from its start)."""
    if callable(source):
        with source() as raw:
            return first_non_utf8_line(raw)
    source.seek(0)
    for number, line in enumerate(source, start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            return number
    return 0


def rejects_write(
    cursor: CursorWrapper,
    population_import: PopulationImport,
    rejects: list[tuple[int, str, str]],
) -> None:
    if not rejects:
        return
    with cursor.copy(
        'COPY compensation_populationreject (population_import_id, line, "column", message) '
        "FROM STDIN"
    ) as copy:
        for line, column, message in rejects:
            copy.write_row((population_import.pk, line, column, message))
