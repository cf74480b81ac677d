"""Benchmark: importing a list of compromised instruments (instruments.services.imports).

Times, on the same database in the same run:
- raw: the same CSV's bytes COPY'd by PostgreSQL into a bare temporary table (the ceiling);
- apply: instrument_import_apply on a clean file (digest, UTF-8 scan, csv module, COPY, the
  SQL checks, one INSERT ... SELECT with the keyed hash computed in SQL);
- refuse: the same file with one bad line at its end (every check runs, nothing is written).

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> \\
      REDIS_URL=redis://127.0.0.1:6379/<n> flock /tmp/bench.lock \\
      .venv/bin/python scripts/bench_instruments_import.py [--rows 200000]

Each run adds its own program to the database. Prints figures and ratios; asserts only that
the clean file was applied whole and the bad one refused whole.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from compensation.models import Incident, Program
    from instruments.models import CompromisedInstrument, InstrumentImport, InstrumentKind
    from instruments.services.imports import instrument_import_apply

    call_command("migrate", verbosity=0)
    stamp = time.time_ns()
    incident = Incident.objects.create(
        title="bench", summary="bench", detected_at=timezone.now(), data_categories=[]
    )
    program = Program.objects.create(
        incident=incident, slug=f"bench-{stamp}", name="bench", currency="CNY", budget_minor=1
    )
    header = "instrument_number,compromised_at,loaded_value\n"
    prefix = stamp % 10**8
    body = "".join(
        f"{prefix:08d} {n:08d},2025-03-01T03:10:00+08:00,300.00\n" for n in range(args.rows)
    )
    clean = (header + body).encode()
    bad = (header + body + "12,2025-03-01,1\n").encode()
    print(f"rows: {args.rows:,}, file: {len(clean) / 1e6:.1f} MB")

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE raw_copy (instrument_number text, compromised_at text, "
            "loaded_value text) ON COMMIT DROP"
        )
        with cursor.copy("COPY raw_copy FROM STDIN (FORMAT csv, HEADER true)") as copy:
            copy.write(clean)
    raw = time.perf_counter() - started

    started = time.perf_counter()
    refused = instrument_import_apply(
        program=program, kind=InstrumentKind.CARD, source=io.BytesIO(bad), actor_label="bench"
    )
    refuse = time.perf_counter() - started
    assert refused.status == InstrumentImport.Status.REFUSED
    assert not CompromisedInstrument.objects.filter(program=program).exists()

    started = time.perf_counter()
    applied = instrument_import_apply(
        program=program, kind=InstrumentKind.CARD, source=io.BytesIO(clean), actor_label="bench"
    )
    apply = time.perf_counter() - started
    assert applied.status == InstrumentImport.Status.APPLIED, applied.error
    assert applied.rows_imported == args.rows

    for name, seconds in (("raw COPY", raw), ("apply", apply), ("refuse (1 bad line)", refuse)):
        print(
            f"{name:>20}: {seconds:6.2f} s  {args.rows / seconds:>10,.0f} rows/s"
            f"  x{seconds / raw:5.1f} raw"
        )


if __name__ == "__main__":
    main()
