"""Benchmark: notices per second through the whole pipeline (outbox -> Celery workers -> SMTP)
next to raw smtplib over one connection into the same SMTP server, in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/notif REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python scripts/bench_notices.py [--notices 10000] [--workers 2]

Uses the (migrated) database and Redis of the environment, an aiosmtpd server on loopback in
this process, and worker processes on a private queue. It creates its own program, people and
campaign and deletes them at the end (audit rows stay: the trail is append-only). The send
rate limit is off for the run (NOTIFICATIONS_EMAIL_PER_SECOND=0): this measures the pipeline,
not the limit. The outbox table is vacuumed and analyzed before each timed run, as autovacuum
would do in production (it is off on the shared test PostgreSQL). Prints figures; asserts
nothing about time.
"""

from __future__ import annotations

import argparse
import os
import smtplib
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")  # development keys; nothing here is a real secret
RAW_REFERENCE = "RAW0000000000000"


def _raw(settings, port: int, count: int) -> float:
    """Messages per second with smtplib over one connection, prebuilt bytes shaped like a
    notice (the fastest a single sender can go)."""
    from django.core.mail import EmailMessage

    payload = (
        EmailMessage(
            subject="Your compensation vouchers are ready (Benchmark program)",
            body="As compensation for the incident, we have added vouchers ... " * 6,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=["person@example.com"],
            headers={"X-Notice-Reference": RAW_REFERENCE},
        )
        .message()
        .as_bytes()
    )
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as client:
        for _ in range(count):
            client.sendmail(settings.DEFAULT_FROM_EMAIL, ["person@example.com"], payload)
    return count / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=10_000, help="per round")
    parser.add_argument("--raw", type=int, default=3_000, help="raw messages per round")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from compensation.models import Incident, Program
    from config import queueing
    from config.celery import ping
    from notifications.models import Campaign, Notice
    from notifications.services import campaign_build, notices_dispatch_kick
    from tests.notifications.smtp import SmtpServer
    from tests.support import celery_worker_start

    queue = f"bench-{uuid.uuid4().hex[:8]}"
    settings.NOTIFICATIONS_QUEUE = queue
    rounds: list[tuple[float, float, float, float]] = []  # raw, pipeline, raw after, build
    with SmtpServer(keep_messages=False) as smtp:
        env = {
            **os.environ,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
            "NOTIFICATIONS_QUEUE": queue,
            "NOTIFICATIONS_EMAIL_PER_SECOND": "0",
            "NOTIFICATIONS_SITE_URL": "https://compensation.example.com",
        }
        workers = [
            celery_worker_start(
                queue, hostname=f"bench{n}-{queue}@localhost", loglevel="ERROR", env=env
            )
            for n in range(args.workers)
        ]
        incident = program = None
        try:
            for _ in workers:  # every worker up and connected before any clock starts
                ping.apply_async(queue=queue).get(timeout=60)
            incident = Incident.objects.create(
                title="Benchmark incident", summary="-", detected_at="2026-01-01T00:00Z"
            )
            program = Program.objects.create(
                incident=incident,
                slug=f"bench-{uuid.uuid4().hex[:8]}",
                name="Benchmark program",
                budget_minor=1,
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO compensation_affectedperson (program_id, external_id, name,"
                    " email, phone, language, region, segment, account_status, data_categories,"
                    " created_at, updated_at) SELECT %s, 'B' || g, '', 'bench' || g ||"
                    " '@example.com', '', (ARRAY['ko','en','zh-hans'])[1 + g %% 3], '', 'all',"
                    " 'active', '{}', now(), now() FROM generate_series(1, %s) AS g",
                    [program.pk, args.notices],
                )
            for number in range(args.rounds):
                raw_before = _raw(settings, smtp.port, args.raw)
                campaign = Campaign.objects.create(
                    name=f"Benchmark {number}",
                    program=program,
                    kind="voucher_issued",
                    channel="email",
                    audience="population",
                    status=Campaign.Status.BUILDING,
                    scheduled_for=timezone.now(),
                    context={"voucher_total": "50,000 KRW", "valid_from": "2026-01-15"},
                )
                real_send = queueing.task_send
                queueing.task_send = lambda *a, **k: True  # fill the outbox first, untimed
                started = time.perf_counter()
                campaign_build(campaign_id=campaign.pk)
                build_rate = args.notices / (time.perf_counter() - started)
                queueing.task_send = real_send
                with connection.cursor() as cursor:
                    # What autovacuum does in production (it is off on the shared test server):
                    # without it every claim walks the dead entries of earlier runs.
                    cursor.execute("VACUUM (ANALYZE) notifications_notice")
                before = smtp.handler.total
                started = time.perf_counter()
                with transaction.atomic():
                    transaction.on_commit(lambda: notices_dispatch_kick(channel="email"))
                while smtp.handler.total - before < args.notices:
                    time.sleep(0.01)
                pipeline = args.notices / (time.perf_counter() - started)
                raw_after = _raw(settings, smtp.port, args.raw)
                rounds.append((raw_before, pipeline, raw_after, build_rate))
            time.sleep(0.5)  # let the last results land in the outbox
            sent = Notice.objects.filter(program=program, status=Notice.Status.SENT).count()
            duplicates = sum(
                count - 1
                for reference, count in smtp.handler.by_reference.items()
                if count > 1 and reference != RAW_REFERENCE
            )
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(30)
            if program is not None:  # plain SQL: only this script's rows, no cascade walk
                with connection.cursor() as cursor:
                    for table in (
                        "notifications_notice",
                        "notifications_campaign",
                        "compensation_affectedperson",
                    ):
                        cursor.execute(
                            f"DELETE FROM {table} WHERE program_id = %s",  # noqa: S608
                            [program.pk],
                        )
                    cursor.execute("DELETE FROM compensation_program WHERE id = %s", [program.pk])
            if incident is not None:
                with connection.cursor() as cursor:
                    cursor.execute("DELETE FROM compensation_incident WHERE id = %s", [incident.pk])

    print(
        f"{args.workers} workers, {args.notices:,} notices and {args.raw:,} raw messages per "
        f"round; raw is measured just before and just after each pipeline run"
    )
    ratios = []
    for number, (raw_before, pipeline, raw_after, build_rate) in enumerate(rounds, 1):
        raw = (raw_before + raw_after) / 2
        ratios.append(pipeline / raw)
        print(
            f"round {number}: raw smtplib 1 connection {raw:7,.0f} msgs/s "
            f"({raw_before:,.0f} before, {raw_after:,.0f} after) | outbox -> workers -> SMTP "
            f"{pipeline:7,.0f} msgs/s | ratio {pipeline / raw:.2f} | build {build_rate:,.0f}/s"
        )
    print(f"median ratio pipeline / raw: {statistics.median(ratios):.2f} (target 0.8)")
    print(
        f"rows sent: {sent:,}/{args.notices * args.rounds:,}; duplicates at the server: "
        f"{duplicates}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
