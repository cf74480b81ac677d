"""Benchmark: building the expiry reminder's audience for a run of N vouchers (issue 14: 10M
"well under a minute"). Loads a program of N/4 people with four vouchers each, all ending on one
day, one person in ten having spent everything and one voucher in eight partly spent (a balance),
then times the real path: the reminder campaign voucher_expiry_reminders_start starts, built by
campaign_build (one INSERT ... SELECT per 50,000 person ids with the audience's EXISTS and each
person's count, value left and date). The baseline, in the same run: a plain INSERT ... SELECT
of the same notice rows (copied from the ones just built: same columns, same context), which is
the cost of writing the rows alone.

    psql -h 127.0.0.1 -U postgres -c 'create database reminderbench'
    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/reminderbench \\
      REDIS_URL=redis://127.0.0.1:6379/12 flock /tmp/bench.lock \\
      .venv/bin/python scripts/bench_reminders.py [--vouchers 10000000]

Use a database of its own (it is migrated first). The fixture rows are loaded with triggers
off (session_replication_role = replica: no award rows are needed for this measure); people,
vouchers and notices are deleted at the end. Prints figures; asserts only that the audience is
exactly the people with value left.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

_PEOPLE_SQL = """
INSERT INTO compensation_affectedperson (program_id, external_id, name, email, phone, language,
    region, segment, account_status, data_categories, created_at, updated_at)
SELECT %(program)s, 'R' || g, '', 'r' || g || '@example.com', '',
       (ARRAY['ko','en','zh-hans'])[1 + g %% 3], 'seoul', 'member', 'active', '{email}',
       now(), now()
FROM generate_series(1, %(people)s) AS g
"""

# Four vouchers a person, in person order (as issuance writes them); one person in ten spent
# all four, one voucher in eight has a balance of 1,000 left.
_VOUCHERS_SQL = """
INSERT INTO vouchers_voucher (award_id, generation, batch_id, program_id, person_id,
    service_scope, amount_minor, balance_minor, currency, code_hash, hash_key_version,
    derive_key_version, last4, state, valid_from, valid_until, issued_at)
SELECT p.id * 4 + s.n, 1, %(batch)s, %(program)s, p.id,
       (ARRAY['store','eats','travel','rlux'])[s.n + 1],
       (ARRAY[5000, 5000, 20000, 20000])[s.n + 1],
       CASE WHEN (p.id * 4 + s.n) %% 8 = 0 AND p.id %% 10 <> 0 THEN 1000 END,
       'KRW', substring(decode(md5(%(salt)s || (p.id * 4 + s.n)::text), 'hex') FROM 1 FOR 16),
       1, 1, 'ABCD',
       CASE WHEN p.id %% 10 = 0 THEN 'redeemed' ELSE 'issued' END,
       now() - interval '30 days', %(until)s, now() - interval '30 days'
FROM compensation_affectedperson AS p CROSS JOIN generate_series(0, 3) AS s(n)
WHERE p.program_id = %(program)s
ORDER BY p.id, s.n
"""

_RAW_SQL = """
INSERT INTO notifications_notice (reference, kind, channel, language, to_address, context,
    program_id, person_id, campaign_id, dedupe_key, priority, status, attempts, last_error,
    provider_message_id)
SELECT notifications_reference_new(), n.kind, n.channel, n.language, n.to_address, n.context,
       n.program_id, n.person_id, NULL, 'raw:' || n.id::text, 1, 'pending', 0, '', ''
FROM notifications_notice AS n WHERE n.campaign_id = %s
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vouchers", type=int, default=10_000_000)
    args = parser.parse_args()
    people = args.vouchers // 4

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from compensation.models import Incident, PolicyVersion, Program
    from config import queueing
    from notifications.models import Campaign, Notice
    from notifications.services import campaign_build, campaigns_start_due
    from vouchers.models import VoucherBatch
    from vouchers.services import expiry

    queueing.task_send = lambda *a, **k: True  # the build is called here, not by a worker
    settings.VOUCHERS_EXPIRY_REMINDER_HOURS = [0, 24]
    settings.NOTIFICATIONS_BUILD_TIME_BUDGET = 3600
    zone = expiry._zone()
    today = timezone.now().astimezone(zone).date()
    ends = dt.datetime.combine(today + dt.timedelta(days=20), dt.time(18), tzinfo=zone)

    incident = Incident.objects.create(
        title="Reminder benchmark", summary="-", detected_at="2026-01-01T00:00Z"
    )
    program = Program.objects.create(
        incident=incident,
        slug=f"rbench-{uuid.uuid4().hex[:8]}",
        name="Reminder benchmark",
        budget_minor=1,
    )
    policy = PolicyVersion.objects.create(program=program, number=1, rules={})
    batch = VoucherBatch.objects.create(
        program=program, policy=policy, award_line_ids=[], status=VoucherBatch.Status.DONE
    )
    try:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(_PEOPLE_SQL, {"program": program.pk, "people": people})
            cursor.execute(
                _VOUCHERS_SQL,
                {
                    "program": program.pk,
                    "batch": batch.pk,
                    "until": ends,
                    "salt": uuid.uuid4().hex,
                },
            )
            vouchers = cursor.rowcount
            cursor.execute("SET session_replication_role = origin")
            cursor.execute("ANALYZE vouchers_voucher")
            cursor.execute("ANALYZE compensation_affectedperson")
            cursor.execute("ANALYZE notifications_notice")
        load = time.perf_counter() - started
        print(f"loaded {people:,} people and {vouchers:,} vouchers in {load:,.1f} s (untimed)")

        started = time.perf_counter()
        started_campaigns = expiry.voucher_expiry_reminders_start(
            now=dt.datetime.combine(today, dt.time(11), tzinfo=zone)
        )
        find = time.perf_counter() - started
        campaigns_start_due()
        campaign = Campaign.objects.get(program=program, channel="email")
        started = time.perf_counter()
        while not campaign_build(campaign_id=campaign.pk):
            pass
        build = time.perf_counter() - started
        built = Notice.objects.filter(campaign=campaign).count()

        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(_RAW_SQL, [campaign.pk])
            raw_rows = cursor.rowcount
        raw = time.perf_counter() - started

        expected = people - people // 10
        assert started_campaigns == 2, started_campaigns
        assert built == expected == raw_rows, (built, expected, raw_rows)
        sample = Notice.objects.filter(campaign=campaign).order_by("person_id").first()
        assert sample is not None
        print(
            f"finding the due expiry days (scan of the vouchers): {find:,.2f} s, "
            f"{started_campaigns} campaigns"
        )
        print(
            f"reminder audience built: {built:,} notices for {vouchers:,} vouchers in "
            f"{build:,.1f} s ({built / build:,.0f}/s)"
        )
        print(f"plain INSERT ... SELECT of the same {raw_rows:,} rows: {raw:,.1f} s")
        print(f"ratio build / plain insert: {build / raw:.2f}")
        print(f"a notice's context: {sample.context}")
    finally:  # the big rows only (the program, its campaigns and audit rows stay, as history)
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            for table in (
                "notifications_notice",
                "vouchers_voucher",
                "compensation_affectedperson",
            ):
                cursor.execute(
                    f"DELETE FROM {table} WHERE program_id = %s",  # noqa: S608
                    [program.pk],
                )
            cursor.execute("SET session_replication_role = origin")
    return 0


if __name__ == "__main__":
    sys.exit(main())
