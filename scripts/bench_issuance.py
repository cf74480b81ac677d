"""Benchmark: bulk voucher issuance through the real path (awards INSERT ... SELECT, codes made
in Python, vouchers by COPY, budget reservation, one transaction per chunk), then a raw
psycopg COPY of the identical rows into identical tables (same columns, indexes, checks and
foreign keys), chunk for chunk, in the same run. Prints figures only, never a code.

    psql -h 127.0.0.1 -U postgres -c 'create database vouchbench'
    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/vouchbench \
      REDIS_URL=redis://127.0.0.1:6379/6 .venv/bin/python scripts/bench_issuance.py \
      --people 250000

Each run makes its own program (the database keeps growing, as production would).
"""

from __future__ import annotations

import argparse
import datetime as dt
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


def issue(program: Program, chunk_size: int, workers: int) -> tuple[int, float, int]:
    """Issue with `workers` worker processes (what Celery workers run), timed end to end."""
    runs.voucher_batch_dispatch = lambda **kwargs: None  # the workers are started here
    batch = runs.voucher_batch_start(
        program=program,
        award_lines=list(program.award_lines.all()),
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


def _identical_table(source: str, name: str, foreign_keys: list[tuple[str, str]]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(f"CREATE TABLE {name} (LIKE {source} INCLUDING ALL)")
        for column, target in foreign_keys:
            cursor.execute(
                f"ALTER TABLE {name} ADD FOREIGN KEY ({column}) REFERENCES {target} (id) "
                "DEFERRABLE INITIALLY DEFERRED"
            )


def raw_copy(
    source: str, target: str, where: str, params, columns: list[str], types, rows_per_copy
):
    """Binary COPY (as issuance does) of the source's rows into `target`, a chunk a
    transaction; only COPY and commit are timed (the rows are read from the source first, as
    if made elsewhere). Table and column names are this script's constants, never input."""
    column_list = ", ".join(columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(id), max(id) FROM {source} WHERE {where}", params)  # noqa: S608
        low, high = cursor.fetchone()
    timed = 0.0
    rows = 0
    raw = connection.connection  # the psycopg connection under Django's
    lo = low
    while lo <= high:
        hi = lo + rows_per_copy - 1
        with raw.cursor() as cursor:
            cursor.execute(
                f"SELECT {column_list} FROM {source} WHERE {where} AND id BETWEEN %s AND %s",  # noqa: S608
                [*params, lo, hi],
            )
            batch = cursor.fetchall()
        raw.commit()
        started = time.perf_counter()
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {target} ({column_list}) FROM STDIN") as copy,
        ):
            for row in batch:
                copy.write_row(row)
        raw.commit()
        timed += time.perf_counter() - started
        rows += len(batch)
        lo = hi + 1
    return rows, timed


AWARD_COLUMNS = [
    "public_id", "program_id", "person_id", "source", "award_line_id", "unit",
    "claim_reference", "kind", "amount_minor", "currency", "status", "policy_id",
    "explanation", "created_at", "updated_at",
]  # fmt: skip
AWARD_TYPES = [
    "uuid", "bigint", "bigint", "varchar", "bigint", "smallint", "varchar", "varchar",
    "bigint", "varchar", "varchar", "bigint", "jsonb", "timestamptz", "timestamptz",
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=250_000)
    parser.add_argument("--chunk-size", type=int, default=2_500, help="people per chunk")
    parser.add_argument("--workers", type=int, default=1, help="issuing worker processes")
    parser.add_argument("--skip-raw", action="store_true")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    connection.ensure_connection()
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
    voucher_columns = [*issuance.VOUCHER_COPY_COLUMNS]
    _identical_table(
        "vouchers_voucher",
        RAW_VOUCHER,
        [("award_id", "compensation_award"), ("batch_id", "vouchers_voucherbatch")],
    )
    copied, raw_seconds = raw_copy(
        "vouchers_voucher", RAW_VOUCHER, "batch_id = %s", [batch_id],
        voucher_columns, issuance.VOUCHER_COPY_TYPES, rows_per_copy,
    )  # fmt: skip
    raw_rate = copied / raw_seconds
    print(f"raw COPY of the identical voucher rows: {copied:,} in {raw_seconds:.1f} s = "
          f"{raw_rate:,.0f} rows/s")  # fmt: skip
    print(f"ratio issuance / raw voucher COPY: {rate / raw_rate:.2f}")
    _identical_table(
        "compensation_award",
        RAW_AWARD,
        [
            ("program_id", "compensation_program"),
            ("person_id", "compensation_affectedperson"),
            ("award_line_id", "compensation_awardline"),
            ("policy_id", "compensation_policyversion"),
            ("claim_type_id", "compensation_claimtype"),
        ],
    )
    award_rows, award_seconds = raw_copy(
        "compensation_award", RAW_AWARD, "program_id = %s", [program.pk],
        AWARD_COLUMNS, AWARD_TYPES, rows_per_copy,
    )  # fmt: skip
    both = copied / (raw_seconds + award_seconds)
    print(f"raw COPY of the identical award rows: {award_rows:,} in {award_seconds:.1f} s")
    print(f"raw COPY of awards + vouchers (the same rows the run writes): {both:,.0f} "
          f"vouchers/s; ratio issuance / that: {rate / both:.2f}")  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {RAW_VOUCHER}")
        cursor.execute(f"DROP TABLE {RAW_AWARD}")


if __name__ == "__main__":
    main()
