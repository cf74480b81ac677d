"""Benchmark: a campaign build whose notices carry personal links (one INSERT ... SELECT of the
links and one UPDATE sealing them in, per chunk) next to the same build of a kind without a
link, in the same run over the same people.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> REDIS_URL=redis://127.0.0.1:6379/<n> \\
        .venv/bin/python scripts/bench_campaign_links.py [--people 20000] [--rounds 2]

Uses the (migrated) database of the environment; creates its own program and people (each
with a keyed-hash stand-in, which a link is bound to) and deletes them at the end (audit rows
stay). Dispatch is off: this measures the build. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")  # development keys; nothing here is a real secret


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from config import queueing
    from notifications.models import Campaign, Notice
    from notifications.services import campaign_build, campaign_create
    from tests.factories import ProgramFactory

    queueing.task_send = lambda *a, **k: True  # no broker needed
    program = ProgramFactory.create(slug=f"bench-links-{uuid.uuid4().hex[:8]}")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO compensation_affectedperson (program_id, external_id, name, email, phone,"
            " email_hash, language, region, segment, account_status, data_categories,"
            " created_at, updated_at)"
            " SELECT %s, 'B' || g, '', 'bench' || g || '@example.com', '', "
            " sha256(('bench' || g)::bytea), 'ko', 'seoul', 'member', 'active', '{}', now(), now()"
            " FROM generate_series(1, %s) AS g",
            [program.pk, args.people],
        )
    kinds = {
        "with links (voucher_issued)": (
            "voucher_issued",
            {"voucher_total": "50,000 KRW", "valid_from": "2026-01-15"},
        ),
        "without (inquiry_reply)": (
            "inquiry_reply",
            {"inquiry_reference": "Q-BENCH", "reply_text": "Thank you."},
        ),
    }
    figures: dict[str, list[float]] = {label: [] for label in kinds}
    try:
        for _round in range(args.rounds):
            for label, (kind, context) in kinds.items():
                campaign = campaign_create(
                    name=f"bench {kind}",
                    program=program,
                    kind=kind,
                    channel="email",
                    audience="population",
                    context=context,
                    actor=None,
                )
                Campaign.objects.filter(pk=campaign.pk).update(
                    status=Campaign.Status.BUILDING, scheduled_for=timezone.now()
                )
                started = time.perf_counter()
                while not campaign_build(campaign_id=campaign.pk, time_budget_seconds=600):
                    pass
                seconds = time.perf_counter() - started
                figures[label].append(seconds)
                made = Notice.objects.filter(campaign=campaign).count()
                print(f"{label}: {made} notices in {seconds:.2f} s ({made / seconds:,.0f}/s)")
        links_best = min(figures["with links (voucher_issued)"])
        plain_best = min(figures["without (inquiry_reply)"])
        print(
            f"best of {args.rounds}: with links {links_best:.2f} s, without {plain_best:.2f} s,"
            f" ratio {links_best / plain_best:.2f}"
        )
    finally:  # plain SQL: only this script's rows, no cascade walk
        with connection.cursor() as cursor:
            for table in (
                "claims_personallink",
                "notifications_notice",
                "notifications_campaign",
                "compensation_affectedperson",
            ):
                cursor.execute(
                    f"DELETE FROM {table} WHERE program_id = %s",  # noqa: S608
                    [program.pk],
                )
            cursor.execute("DELETE FROM compensation_program WHERE id = %s", [program.pk])
            cursor.execute("DELETE FROM compensation_incident WHERE id = %s", [program.incident_id])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
