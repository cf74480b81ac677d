"""Benchmark: population import and policy dry run at 1M people.

Prints the project's import rate next to a raw psycopg COPY of the same file into a bare
table of the same shape, measured in the same run, and the dry run's people per second.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench \\
    REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python scripts/bench_import.py [--rows N]

Use a database of its own: it is migrated and a benchmark program is added to it.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def raw_copy_bare(path: Path) -> float:
    """Seconds to COPY (csv) the population file into a bare table of the same shape."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_population")
        cursor.execute(
            "CREATE TABLE bench_raw_population (id bigserial PRIMARY KEY, external_id text, "
            "name text, email text, phone text, language text, region text, segment text, "
            "data_categories text, account_status text)"
        )
        started = time.perf_counter()
        with (
            cursor.copy(
                "COPY bench_raw_population (external_id, name, email, phone, language, region, "
                "segment, data_categories, account_status) FROM STDIN (FORMAT csv, HEADER true)"
            ) as copy,
            path.open("rb") as handle,
        ):
            while block := handle.read(1 << 20):
                copy.write(block)
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_raw_population")
    return seconds


def indexed_copy_seconds(program_id: int) -> float:
    """The fair baseline of an import: the rows it wrote for the program, COPY'd (binary, from
    a file, untimed) into a table with the person table's columns and indexes: what writing
    them costs the database alone, before any reading, checking, hashing or merging."""
    import tempfile

    from django.db import connection

    with connection.cursor() as cursor, tempfile.TemporaryFile(dir=ROOT / ".local") as payload:
        with cursor.cursor.copy(
            "COPY (SELECT * FROM compensation_affectedperson WHERE program_id = %s) "
            "TO STDOUT (FORMAT binary)",
            [program_id],
        ) as copy:
            for block in copy:
                payload.write(block)
        cursor.execute("DROP TABLE IF EXISTS bench_indexed_population")
        cursor.execute(
            "CREATE TABLE bench_indexed_population (LIKE compensation_affectedperson "
            "INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES)"
        )
        payload.seek(0)
        started = time.perf_counter()
        with cursor.copy("COPY bench_indexed_population FROM STDIN (FORMAT binary)") as copy:
            while block := payload.read(1 << 20):
                copy.write(block)
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_indexed_population")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from compensation.models import AffectedPerson, DryRun, Program
    from compensation.services.policy import dry_run_execute, policy_draft_create
    from compensation.services.population_import import (
        population_import_create,
        population_import_run,
    )
    from demo import data
    from tests.factories import AwardLineFactory, ProgramFactory

    call_command("migrate", verbosity=0)
    # Each run starts from the same state: earlier runs' benchmark people are removed.
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM compensation_affectedperson WHERE program_id IN "
            "(SELECT id FROM compensation_program WHERE slug LIKE 'bench-%%')"
        )
        cursor.execute("VACUUM (FULL, ANALYZE) compensation_affectedperson")
    path = ROOT / ".local" / "bench" / f"population-{args.rows}.csv"
    if not path.exists():
        started = time.perf_counter()
        data.population_csv_write(path, args.rows, seed=3)
        print(
            f"generated {path.name} ({path.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - started:.1f}s"
        )
    rows = args.rows + 2  # the generator adds two bad rows

    # Raw baseline: the same file, COPY (csv) into a bare table of the same shape.
    raw_seconds = raw_copy_bare(path)
    raw_rate = rows / raw_seconds

    program = ProgramFactory.create(slug=f"bench-{int(time.time())}", budget_minor=10**15)
    for position, line in enumerate(data.AWARD_LINES):
        AwardLineFactory.create(program=program, kind="voucher", **{**line, "position": position})
    started = time.perf_counter()
    created = population_import_create(
        program=program,
        source=path,
        original_name=path.name,
        copy_to_store=False,
        actor_label="bench",
    )
    done = population_import_run(import_id=created.pk)
    import_seconds = time.perf_counter() - started
    import_rate = rows / import_seconds
    assert AffectedPerson.objects.filter(program=program).count() == done.rows_inserted

    indexed_seconds = indexed_copy_seconds(program.pk)

    started = time.perf_counter()
    again = population_import_run(
        import_id=population_import_create(
            program=program,
            source=path,
            original_name=path.name,
            copy_to_store=False,
            actor_label="bench",
        ).pk
    )
    reimport_seconds = time.perf_counter() - started

    policy = policy_draft_create(program=program, rules=data.POLICY_RULES, actor_label="bench")
    dry_run = DryRun.objects.create(policy=policy, budget_minor=program.budget_minor)
    started = time.perf_counter()
    dry_run = dry_run_execute(dry_run_id=dry_run.pk)
    dry_seconds = time.perf_counter() - started

    print(f"rows in file:            {rows:,}")
    print(f"raw COPY (bare table):   {raw_seconds:6.1f}s  {raw_rate:10,.0f} rows/s")
    print(
        f"project import:          {import_seconds:6.1f}s  {import_rate:10,.0f} rows/s  "
        f"(inserted {done.rows_inserted:,}, rejected {done.rows_rejected:,})"
    )
    print(f"ratio import/raw:        {import_rate / raw_rate:.2f}  (target 0.5 or better)")
    # a finished import
    assert done.started_at
    assert done.staged_at
    assert done.finished_at
    load = (done.staged_at - done.started_at).total_seconds()
    merge = (done.finished_at - done.staged_at).total_seconds()
    print(f"  of which: load into staging + repeats {load:.1f}s, checks + merge {merge:.1f}s")
    print(
        f"raw COPY of the imported rows into a table with the person table's indexes: "
        f"{indexed_seconds:.1f}s  {rows / indexed_seconds:,.0f} rows/s  "
        f"(ratio import/that {import_seconds and indexed_seconds / import_seconds:.2f})"
    )
    print(
        f"re-import, same file:    {reimport_seconds:6.1f}s  (unchanged "
        f"{again.rows_unchanged:,}, updated {again.rows_updated:,})"
    )
    print(
        f"dry run:                 {dry_seconds:6.2f}s  "
        f"{dry_run.people_total / dry_seconds:10,.0f} people/s  "
        f"({dry_run.people_total:,} people, {dry_run.people_eligible:,} eligible, "
        f"cost {dry_run.cost_minor:,} {program.currency})"
    )
    Program.objects.filter(pk=program.pk).update(status=Program.Status.DRAFT)


if __name__ == "__main__":
    main()
