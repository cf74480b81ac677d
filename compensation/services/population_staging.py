"""Getting a population file into its staging table: PostgreSQL's own CSV parser on the
file's bytes when the file is well formed, Python's csv module when it is not."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from django.db import connection, transaction

from compensation.models import PopulationImport
from compensation.services.population_rows import ALL_COLUMNS

LOAD_BATCH_ROWS = 100_000
LOAD_BLOCK_BYTES = 16 * 1024 * 1024


def stage_drop(cursor, table: str) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {table}, {table}_categories")
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


def file_blocks(path: Path, start: int):
    """The file from `start` in blocks that end on a record boundary: after a newline that is
    not inside a quoted field (an even number of quote characters so far)."""
    carry = b""
    with path.open("rb") as raw:
        raw.seek(start)
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


def copy_fast(population_import, table: str, path: Path, start: int, columns) -> int:
    """COPY the file's bytes straight into staging (PostgreSQL parses the CSV), a block per
    transaction so progress shows. Raises DataError if a record is malformed."""
    rows_read = 0
    for block in file_blocks(path, start):
        with transaction.atomic(), connection.cursor() as cursor:
            with cursor.copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv, ENCODING 'UTF8')"
            ) as copy:
                copy.write(block)
            rows_read += cursor.rowcount
            PopulationImport.objects.filter(pk=population_import.pk).update(rows_read=rows_read)
    return rows_read


def copy_checked(population_import, table: str, path: Path, header, columns) -> int:
    """The careful path: Python's csv reader finds records with the wrong number of fields
    (rejected by line); the others are staged with their line numbers."""
    rows_read = 0
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="", errors="strict")
        reader = csv.reader(text, strict=True)
        next(reader)
        done = False
        while not done:
            rejects: list[tuple[int, str, str]] = []
            with transaction.atomic(), connection.cursor() as cursor:
                with cursor.copy(f"COPY {table} (line, {', '.join(columns)}) FROM STDIN") as copy:
                    batch = 0
                    for row in reader:
                        if not row:
                            continue
                        batch += 1
                        if len(row) != header.width:
                            rejects.append(
                                (
                                    reader.line_num,
                                    "",
                                    f"expected {header.width} fields, found {len(row)}",
                                )
                            )
                        else:
                            copy.write_row((reader.line_num, *row))
                        if batch >= LOAD_BATCH_ROWS:
                            break
                    else:
                        done = True
                rejects_write(cursor, population_import, rejects)
                rows_read += batch
                PopulationImport.objects.filter(pk=population_import.pk).update(rows_read=rows_read)
    return rows_read


def first_non_utf8_line(path: Path) -> int:
    """The decoder reads ahead, so its position is not the line; find the line itself."""
    with path.open("rb") as raw:
        for number, line in enumerate(raw, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 0


def rejects_write(cursor, population_import, rejects) -> None:
    if not rejects:
        return
    with cursor.copy(
        'COPY compensation_populationreject (population_import_id, line, "column", message) '
        "FROM STDIN"
    ) as copy:
        for line, column, message in rejects:
            copy.write_row((population_import.pk, line, column, message))
