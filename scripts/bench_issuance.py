"""Benchmark: bulk voucher issuance through the real path (awards INSERT ... SELECT, codes made
in Python, vouchers by COPY, budget reservation, one transaction per chunk), then a raw
psycopg COPY of the identical rows into identical tables (same columns, indexes, checks and
foreign keys, read from the catalog), chunk for chunk, in the same binary format and over as
many connections as the run had workers, in the same run. Prints figures only, never a code.

    psql -h 127.0.0.1 -U postgres -c 'create database vouchbench'
    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/vouchbench \
      REDIS_URL=redis://127.0.0.1:6379/6 .venv/bin/python scripts/bench_issuance.py \
      --people 250000 --workers 2

Each run makes its own program (the database keeps growing, as production would).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from compensation.engine import rules_validate  # noqa: E402
from compensation.models import AwardLine, Incident, PolicyVersion, Program  # noqa: E402
from vouchers.models import Voucher  # noqa: E402
from vouchers.services import issuance, runs  # noqa: E402

LINES = [("store", 5_000), ("eats", 5_000), ("travel", 20_000), ("rlux", 20_000)]
COUPANG_VOUCHERS = 33_700_000 * 4
# The identical tables of the raw baseline, named per process so two runs never share them.
RAW_VOUCHER = f"bench_raw_voucher_{os.getpid()}"
RAW_AWARD = f"bench_raw_award_{os.getpid()}"


def program_make(people: int) -> Program:
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    incident = Incident.objects.create(
        title=f"Bench {stamp}", summary="bench", detected_at=timezone.now()
    )
    program = Program.objects.create(
        incident=incident,
        slug=f"bench-{stamp}",
        name=f"Bench {stamp}",
        budget_minor=people * 50_000 * 2,
        voucher_valid_from=timezone.now(),
        voucher_valid_until=timezone.now() + dt.timedelta(days=180),
        status=Program.Status.OPEN,
    )
    for position, (code, amount) in enumerate(LINES):
        AwardLine.objects.create(
            program=program, code=code, service_scope=code, amount_minor=amount, position=position
        )
    codes = [code for code, _ in LINES]
    PolicyVersion.objects.create(
        program=program,
        number=1,
        status=PolicyVersion.Status.PUBLISHED,
        rules=rules_validate({"proactive": {"award_lines": codes}}, award_line_codes=set(codes)),
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # A few profiles, as in a real population (region x segment).
        cursor.execute(
            "INSERT INTO compensation_affectedperson (program_id, external_id, name, email, "
            "phone, language, region, segment, account_status, data_categories, created_at, "
            "updated_at) SELECT %s, 'B' || g, '', '', '', 'ko', "
            "(ARRAY['seoul','busan','incheon','daegu'])[1 + g %% 4], "
            "(ARRAY['member','wow'])[1 + g %% 2], 'active', ARRAY['email','phone'], now(), now() "
            "FROM generate_series(1, %s) g",
            [program.pk, people],
        )
        cursor.execute("ANALYZE compensation_affectedperson")
    print(f"population: {people:,} people in {time.perf_counter() - started:.1f} s")
    return program


WORKER = (
    "import django; django.setup(); "
    "from vouchers.services.issuance import voucher_batch_execute as run; "
    "run(batch_id={batch}, time_budget_seconds=36000)"
)


def issue(
    program: Program, chunk_size: int, workers: int, segments: list[str] | None = None
) -> tuple[int, float, int]:
    """Issue with `workers` worker processes (what Celery workers run), timed end to end; to
    the people of `segments` only when given (as an operator may start a run)."""
    runs.voucher_batch_dispatch = lambda **kwargs: None  # the workers are started here
    batch = runs.voucher_batch_start(
        program=program,
        award_lines=list(program.award_lines.all()),
        segments=segments,
        confirm_name=program.name,
        chunk_size=chunk_size,
        actor_label="bench",
    )
    started = time.perf_counter()
    if workers == 1:
        while issuance.voucher_batch_execute(batch_id=batch.pk, time_budget_seconds=36000):
            pass
    else:
        issuance._chunks_ensure(batch.pk)
        procs = [
            subprocess.Popen([sys.executable, "-c", WORKER.format(batch=batch.pk)], cwd=ROOT)
            for _ in range(workers)
        ]
        for proc in procs:
            proc.wait()
        issuance.voucher_batch_execute(batch_id=batch.pk)
    seconds = time.perf_counter() - started
    batch.refresh_from_db()
    assert batch.status == "done", batch.error
    return Voucher.objects.filter(batch=batch).count(), seconds, batch.pk


def _identical_table(source: str, name: str) -> str:
    """A copy of `source`'s definition: columns, defaults, identity, CHECK constraints and
    indexes (LIKE ... INCLUDING ALL), plus every foreign key, read from the catalog so the
    copy follows the real table when its constraints change. Returns a one-line summary."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(f"CREATE TABLE {name} (LIKE {source} INCLUDING ALL)")
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
            [source],
        )
        for (definition,) in cursor.fetchall():
            cursor.execute(f"ALTER TABLE {name} ADD {definition}")
        counts = []
        for table in (source, name):
            cursor.execute(
                "SELECT (SELECT count(*) FROM pg_index WHERE indrelid = %s::regclass), "
                "(SELECT count(*) FROM pg_constraint WHERE conrelid = %s::regclass "
                "AND contype = 'c'), "
                "(SELECT count(*) FROM pg_constraint WHERE conrelid = %s::regclass "
                "AND contype = 'f')",
                [table] * 3,
            )
            counts.append(cursor.fetchone())
    assert counts[0] == counts[1], (source, counts)
    indexes, checks, foreign_keys = counts[0]
    return f"{indexes} indexes, {checks} checks, {foreign_keys} foreign keys, as {source}"


def _raw_copy_worker(dsn: dict, source: str, target: str, where: str, params, columns,
                     types, ranges, out) -> None:  # fmt: skip
    """One raw connection: for each of its id ranges, read the source rows (not timed), then
    binary COPY (the format issuance uses) them into `target` and commit (timed)."""
    import psycopg

    column_list = ", ".join(columns)
    select = f"SELECT {column_list} FROM {source} WHERE {where} AND id BETWEEN %s AND %s"  # noqa: S608
    sql = f"COPY {target} ({column_list}) FROM STDIN (FORMAT BINARY)"
    timed, rows_copied = 0.0, 0
    with psycopg.connect(**dsn) as conn:
        for lo, hi in ranges:
            rows = conn.execute(select, [*params, lo, hi]).fetchall()
            conn.commit()
            started = time.perf_counter()
            with conn.cursor() as cursor, cursor.copy(sql) as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
            conn.commit()
            timed += time.perf_counter() - started
            rows_copied += len(rows)
    out.put((rows_copied, timed))


def raw_copy(
    source: str, target: str, where: str, params, columns: list[str], types, rows_per_copy,
    connections: int,
):  # fmt: skip
    """Binary COPY (as issuance does) of the source's rows into `target`, a chunk a
    transaction, over `connections` parallel connections (processes), as many as the run
    had workers. Only COPY and commit are timed (each chunk is read from the source first,
    as if made elsewhere); the elapsed time is the busiest connection's. Table and column
    names are this script's constants, never input."""
    with connection.cursor() as cursor:
        # Fresh statistics, or the planner reads each chunk's rows through the run's whole
        # batch_id index (untimed, but a 10M run's baseline then takes a quarter of an hour).
        cursor.execute(f"ANALYZE {source}")
        cursor.execute(f"SELECT min(id), max(id) FROM {source} WHERE {where}", params)  # noqa: S608
        low, high = cursor.fetchone()
    ranges = [(lo, lo + rows_per_copy - 1) for lo in range(low, high + 1, rows_per_copy)]
    return _in_processes(
        connections,
        lambda dsn, i, out: _raw_copy_worker(
            dsn, source, target, where, params, columns, types, ranges[i::connections], out
        ),
    )


def _in_processes(connections: int, work) -> tuple[int, float]:
    """`work(dsn, i, out)` in `connections` forked processes, each putting (rows, seconds)
    on `out`; returns (all rows, the busiest process's seconds)."""
    wanted = {"dbname", "user", "password", "host", "port"}
    dsn = {k: v for k, v in connection.get_connection_params().items() if k in wanted}
    connection.close()  # nothing of Django's connection crosses the fork
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    procs = [context.Process(target=work, args=(dsn, i, out)) for i in range(connections)]
    for proc in procs:
        proc.start()
    results = [out.get() for _ in procs]
    for proc in procs:
        proc.join()
        assert proc.exitcode == 0, proc.exitcode
    return sum(rows for rows, _ in results), max(seconds for _, seconds in results)


def _minimal_copy_worker(dsn: dict, table: str, ranges, out) -> None:
    """One connection: for each range of ids, make the codes in Python as issuance does
    (CodeMaker: two HMACs a code) and binary COPY the minimal rows, then commit; all timed."""
    import psycopg

    from vouchers.services.codes import CodeMaker

    maker = CodeMaker()
    sql = f"COPY {table} (code_hash, person_id, line_id, state) FROM STDIN (FORMAT BINARY)"
    started, rows = time.perf_counter(), 0
    with psycopg.connect(**dsn) as conn:
        for lo, hi in ranges:
            with conn.cursor() as cursor, cursor.copy(sql) as copy:
                copy.set_types(["bytea", "bigint", "smallint", "smallint"])
                for n in range(lo, hi + 1):
                    copy.write_row((maker.make(n)[0], n // 4, n % 4, 1))
            conn.commit()
            rows += hi - lo + 1
    out.put((rows, time.perf_counter() - started))


def minimal_copy(vouchers: int, rows_per_copy: int, connections: int) -> tuple[int, float]:
    """The physical limit of issuance: the fewest rows it must write (a hashed code with its
    unique index, the owner, the line, the state) by binary COPY, the codes made in Python,
    a transaction a chunk, over `connections` processes. Returns (rows, busiest seconds)."""
    table = f"bench_min_voucher_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(
            f"CREATE TABLE {table} (code_hash bytea NOT NULL UNIQUE, person_id bigint NOT NULL, "
            "line_id smallint NOT NULL, state smallint NOT NULL)"
        )
    ranges = [
        (lo, min(lo + rows_per_copy - 1, vouchers)) for lo in range(1, vouchers + 1, rows_per_copy)
    ]
    result = _in_processes(
        connections,
        lambda dsn, i, out: _minimal_copy_worker(dsn, table, ranges[i::connections], out),
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {table}")
    return result


AWARD_COLUMNS = [
    "public_id", "program_id", "person_id", "source", "award_line_id", "unit",
    "claim_reference", "kind", "amount_minor", "currency", "status", "policy_id",
    "explanation", "created_at", "updated_at",
]  # fmt: skip
AWARD_TYPES = [
    "uuid", "bigint", "bigint", "varchar", "bigint", "smallint", "varchar", "varchar",
    "bigint", "varchar", "varchar", "bigint", "jsonb", "timestamptz", "timestamptz",
]  # fmt: skip


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=250_000)
    parser.add_argument("--chunk-size", type=int, default=2_500, help="people per chunk")
    parser.add_argument("--workers", type=int, default=1, help="issuing worker processes")
    parser.add_argument("--skip-raw", action="store_true")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM vouchers_voucher")
        existing = cursor.fetchone()[0]
    # The raw tables start empty: on a database with earlier runs the real table is bigger
    # (deeper indexes), which costs the run a little; a fresh database compares like with like.
    print(f"start: {_load()}; vouchers_voucher already holds {existing:,} rows")
    program = program_make(args.people)
    vouchers, seconds, batch_id = issue(program, args.chunk_size, args.workers)
    rate = vouchers / seconds
    print(
        f"issued: {vouchers:,} vouchers (and as many awards) in {seconds:.1f} s "
        f"with {args.workers} worker process(es), chunks of {args.chunk_size:,} people"
    )
    print(f"issuance rate: {rate:,.0f} vouchers/s  ({1e6 / rate:.1f} us per voucher)")
    hours = COUPANG_VOUCHERS / rate / 3600
    print(f"extrapolated 33.7M x 4 = {COUPANG_VOUCHERS:,} vouchers: {hours:.2f} h at this rate")
    if args.skip_raw:
        return
    rows_per_copy = args.chunk_size * len(LINES)
    voucher_columns = [column for column, _ in issuance.VOUCHER_COPY_FIELDS]
    voucher_types = [type_ for _, type_ in issuance.VOUCHER_COPY_FIELDS]
    # The baseline gets the machine the run had: as many connections as issuing workers.
    # One connection is printed too when that differs (on two cores it is slower, so a
    # ratio against it flatters the run).
    raw_rates = {}
    for connections in sorted({args.workers, 1}, reverse=True):
        shape = _identical_table("vouchers_voucher", RAW_VOUCHER)
        copied, raw_seconds = raw_copy(
            "vouchers_voucher", RAW_VOUCHER, "batch_id = %s", [batch_id],
            voucher_columns, voucher_types, rows_per_copy, connections,
        )  # fmt: skip
        raw_rates[connections] = copied / raw_seconds
        print(f"raw binary COPY of the identical voucher rows ({shape}), {connections} "
              f"connection(s): {copied:,} in {raw_seconds:.1f} s = "
              f"{raw_rates[connections]:,.0f} rows/s")  # fmt: skip
    raw_rate = raw_rates[args.workers]
    minimal, minimal_seconds = minimal_copy(vouchers, rows_per_copy, args.workers)
    print(f"the physical limit: the minimal rows (code hash with its unique index, owner, line, "
          f"state), codes made in Python, binary COPY over {args.workers} connection(s): "
          f"{minimal:,} in {minimal_seconds:.1f} s = {minimal / minimal_seconds:,.0f} rows/s; "
          f"ratio issuance / that: {rate / (minimal / minimal_seconds):.2f} "
          "(target 0.8)")  # fmt: skip
    print(f"ratio issuance / raw voucher COPY ({args.workers} connection(s), as many as "
          f"workers): {rate / raw_rate:.2f}")  # fmt: skip
    if args.workers != 1:
        print(f"(ratio against 1 raw connection: {rate / raw_rates[1]:.2f})")
    shape = _identical_table("compensation_award", RAW_AWARD)
    award_rows, award_seconds = raw_copy(
        "compensation_award", RAW_AWARD, "program_id = %s", [program.pk],
        AWARD_COLUMNS, AWARD_TYPES, rows_per_copy, args.workers,
    )  # fmt: skip
    both = vouchers / (vouchers / raw_rate + award_seconds)
    print(f"raw binary COPY of the identical award rows ({shape}), {args.workers} "
          f"connection(s): {award_rows:,} in {award_seconds:.1f} s")  # fmt: skip
    print(f"raw COPY of awards + vouchers (the same rows the run writes): {both:,.0f} "
          f"vouchers/s; ratio issuance / that: {rate / both:.2f}")  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {RAW_VOUCHER}")
        cursor.execute(f"DROP TABLE {RAW_AWARD}")
    print(f"end: {_load()}")


if __name__ == "__main__":
    main()
