"""Benchmark: the support desk's search and person page at scale. Loads N people through the
real population import (so the email and phone hashes are the import's, computed in SQL),
their vouchers and notices set-based (INSERT ... SELECT), a claim for one person in a hundred,
then times each kind of search 200 times (the view, as an agent's browser posts it, and the
selector alone) and opens 200 person pages, printing p50/p99 and the page's query count.

Also prints what the two indexes the desk needs (a hash index on the phone hash, a GIN
trigram index on the name) cost an import: the imported rows COPY'd into a table with the
person table's indexes, with and without those two, and the time to build the trigram index.

    psql -h 127.0.0.1 -U postgres -c 'create database deskbench'
    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/deskbench \\
      REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python scripts/bench_support_search.py \\
      [--people 200000] [--vouchers-per-person 4] [--repeat 200]

Use a database of its own: it is migrated and each run adds its own program (the database
grows, as production would). The population file is generated once per size under
.local/bench/. Searches and page views are audited as in production. Prints figures; asserts
only that each search found the person it was looking for.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Korean surnames by their share of the population (2015 census, rounded), and given-name
# syllables: names repeat as they do in a real population, so a name search meets namesakes.
SURNAMES = [
    ("김", 21.5), ("이", 14.7), ("박", 8.4), ("최", 4.7), ("정", 4.3), ("강", 2.4),
    ("조", 2.1), ("윤", 2.1), ("장", 2.0), ("임", 1.7), ("한", 1.5), ("오", 1.5),
    ("서", 1.5), ("신", 1.5), ("권", 1.4), ("황", 1.4), ("안", 1.4), ("송", 1.3),
    ("전", 1.1), ("홍", 1.1), ("남궁", 0.1), ("제갈", 0.1),
]  # fmt: skip
GIVEN_FIRST = "민서지수현예하도준주윤채은시우유연건태승동성영재정혜진"
GIVEN_SECOND = "준아서우윤호진원민현은희영수연우빈혁경훈석나리람율"
ROMAN = ["Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim"]
ROMAN_GIVEN = ["Minji", "Seoyeon", "Jiwoo", "Hyunwoo", "Minjun", "Jisu", "Yejin", "Dohyun"]
CHINESE_SURNAMES = "王李张刘陈杨黄赵吴周"
CHINESE_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
HEADER = "external_id,name,email,phone,language,region,segment,data_categories,account_status"
LINES = [("store", 5_000), ("eats", 5_000), ("travel", 20_000), ("rlux", 20_000)]
VOUCHER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def name_make(rng: random.Random) -> tuple[str, str]:
    """(name, language) as a Korean program's population has them."""
    roll = rng.random()
    if roll < 0.85:
        surname = rng.choices([s for s, _ in SURNAMES], weights=[w for _, w in SURNAMES])[0]
        return surname + rng.choice(GIVEN_FIRST) + rng.choice(GIVEN_SECOND), "ko"
    if roll < 0.95:
        return f"{rng.choice(ROMAN)} {rng.choice(ROMAN_GIVEN)}", "en"
    given = "".join(rng.choice(CHINESE_GIVEN) for _ in range(rng.choice((1, 2))))
    return rng.choice(CHINESE_SURNAMES) + given, "zh-hans"


def population_file(people: int) -> Path:
    path = ROOT / ".local" / "bench" / f"desk-population-{people}.csv"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(15)
    started = time.perf_counter()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)  # one line ending throughout (a raw COPY needs that)
        writer.writerow(HEADER.split(","))
        for i in range(1, people + 1):
            name, language = name_make(rng)
            writer.writerow(
                [
                    f"CU{i:09d}",
                    name,
                    f"customer{i}.{rng.randrange(10**6):06d}@example.com",
                    f"010-{i // 10_000 % 10_000:04d}-{i % 10_000:04d}",
                    language,
                    rng.choice(["seoul", "busan", "incheon", "daegu"]),
                    rng.choice(["member", "wow"]),
                    "name;email;phone",
                    "active",
                ]
            )
    print(f"generated {path.name} ({path.stat().st_size / 1e6:.0f} MB) in "
          f"{time.perf_counter() - started:.1f}s")  # fmt: skip
    return path


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def ms(values: list[float]) -> str:
    p50, p99 = percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000
    return f"p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  mean {statistics.fmean(values) * 1000:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--vouchers-per-person", type=int, default=4, choices=range(0, 5))
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone
    from django_otp.plugins.otp_static.models import StaticDevice

    from accounts.models import User
    from claims.models import Claim
    from compensation.models import AffectedPerson, AwardLine, ClaimType, Incident, Program
    from compensation.services.population_import import (
        population_import_create,
        population_import_run,
    )
    from config import queueing
    from notifications.references import reference_display
    from support.query import Kind, query_parse
    from support.selectors import people_search

    call_command("migrate", verbosity=0)
    queueing.task_send = lambda *a, **k: True  # nothing here needs a worker
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    incident = Incident.objects.create(
        title=f"Desk bench {stamp}", summary="bench", detected_at=timezone.now()
    )
    program = Program.objects.create(
        incident=incident,
        slug=f"bench-desk-{stamp}",
        name=f"Desk bench {stamp}",
        currency="KRW",
        budget_minor=10**15,
        status=Program.Status.OPEN,
    )
    lines = [
        AwardLine.objects.create(
            program=program, code=code, service_scope=code, amount_minor=amount, position=n
        )
        for n, (code, amount) in enumerate(LINES)
    ]

    # --- People, through the real import -----------------------------------------------------
    path = population_file(args.people)
    started = time.perf_counter()
    done = population_import_run(
        import_id=population_import_create(
            program=program,
            source=path,
            original_name=path.name,
            copy_to_store=False,
            actor_label="bench",
        ).pk
    )
    import_seconds = time.perf_counter() - started
    people = done.rows_inserted
    print(f"import, {people:,} people (with the desk's indexes): {import_seconds:.1f}s "
          f"{people / import_seconds:,.0f} rows/s")  # fmt: skip

    # --- What the desk's two indexes cost an import ------------------------------------------
    with connection.cursor() as cursor:
        payload = io.BytesIO()
        with cursor.cursor.copy(
            "COPY (SELECT * FROM compensation_affectedperson WHERE program_id = %s) "
            "TO STDOUT (FORMAT binary)",
            [program.pk],
        ) as copy:
            for block in copy:
                payload.write(block)
        timings = {}
        for variant in ("with", "without"):
            table = f"bench_desk_people_{variant}_{os.getpid()}"
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(
                f"CREATE TABLE {table} (LIKE compensation_affectedperson "
                "INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES)"
            )
            if variant == "without":
                cursor.execute(
                    "SELECT indexname FROM pg_indexes WHERE tablename = %s AND "
                    "(indexdef LIKE '%%gin_trgm_ops%%' OR indexdef LIKE '%%(phone_hash)%%')",
                    [table],
                )
                for (index,) in cursor.fetchall():
                    cursor.execute(f'DROP INDEX "{index}"')
            started = time.perf_counter()
            with cursor.copy(f"COPY {table} FROM STDIN (FORMAT binary)") as copy:
                copy.write(payload.getbuffer())
            timings[variant] = time.perf_counter() - started
            if variant == "without":
                started = time.perf_counter()
                cursor.execute(f"CREATE INDEX ON {table} USING gin (name gin_trgm_ops)")
                timings["build_trgm"] = time.perf_counter() - started
                started = time.perf_counter()
                cursor.execute(f"CREATE INDEX ON {table} USING hash (phone_hash)")
                timings["build_phone"] = time.perf_counter() - started
            cursor.execute(f"DROP TABLE {table}")
        del payload
        cursor.execute(
            "SELECT pg_relation_size('affected_name_trgm_idx'), "
            "pg_relation_size('affected_phone_hash_idx'), "
            "pg_relation_size('compensation_affectedperson')"
        )
        trgm_bytes, phone_bytes, table_bytes = cursor.fetchone()
    extra_us = (timings["with"] - timings["without"]) / people * 1e6
    print(
        f"the imported rows COPY'd into a table with the person table's indexes: "
        f"{timings['with']:.1f}s; without the trigram and phone-hash indexes: "
        f"{timings['without']:.1f}s; the two cost {extra_us:.1f} µs a row"
    )
    print(
        f"building them afterwards over {people:,} rows: trigram {timings['build_trgm']:.1f}s, "
        f"phone hash {timings['build_phone']:.1f}s; sizes (whole table, every program): "
        f"trigram {trgm_bytes / 1e6:,.0f} MB, phone hash {phone_bytes / 1e6:,.0f} MB, "
        f"heap {table_bytes / 1e6:,.0f} MB"
    )

    # --- Vouchers, notices, claims, set-based ------------------------------------------------
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for line in lines[: args.vouchers_per_person]:
            cursor.execute(
                "INSERT INTO compensation_award (public_id, program_id, person_id, source, "
                "award_line_id, unit, claim_reference, kind, amount_minor, currency, status, "
                "explanation, created_at, updated_at) SELECT gen_random_uuid(), %s, p.id, "
                "'proactive', %s, 1, '', 'voucher', %s, 'KRW', 'granted', '{}', now(), now() "
                "FROM compensation_affectedperson p WHERE p.program_id = %s",
                [program.pk, line.pk, line.amount_minor, program.pk],
            )
            # Four random symbols of the code alphabet (random() per row, each symbol its own).
            cursor.execute(
                "INSERT INTO vouchers_voucher (award_id, generation, program_id, person_id, "
                "service_scope, amount_minor, currency, code_hash, hash_key_version, "
                "derive_key_version, last4, state, issued_at) SELECT a.id, 1, a.program_id, "
                "a.person_id, %(scope)s, a.amount_minor, 'KRW', "
                "substr(sha256(gen_random_uuid()::text::bytea), 1, 16), 1, 1, "
                "substr(%(alphabet)s, 1 + floor(random() * 32)::int, 1) "
                "|| substr(%(alphabet)s, 1 + floor(random() * 32)::int, 1) "
                "|| substr(%(alphabet)s, 1 + floor(random() * 32)::int, 1) "
                "|| substr(%(alphabet)s, 1 + floor(random() * 32)::int, 1), "
                "'issued', now() FROM compensation_award a "
                "WHERE a.program_id = %(program)s AND a.award_line_id = %(line)s",
                {
                    "alphabet": VOUCHER_ALPHABET,
                    "scope": line.service_scope,
                    "program": program.pk,
                    "line": line.pk,
                },
            )
        cursor.execute(
            "INSERT INTO notifications_notice (reference, kind, channel, language, to_address, "
            "context, program_id, person_id, priority, status, attempts, last_error, "
            "provider_message_id, sent_at) SELECT notifications_reference_new(), "
            "'voucher_issued', 'email', p.language, p.email, '{}', p.program_id, p.id, 1, "
            "'sent', 1, '', '', now() FROM compensation_affectedperson p "
            "WHERE p.program_id = %s AND p.email <> ''",
            [program.pk],
        )
    claim_type = ClaimType.objects.create(program=program, code="time-spent", title={"en": "T"})
    sample_people = list(
        AffectedPerson.objects.filter(program=program).order_by("?")[: max(args.people // 100, 1)]
    )
    Claim.objects.bulk_create(
        [
            Claim(
                program=program,
                claim_type=claim_type,
                person=person,
                claimant_email_hash=person.email_hash,
                amount_claimed_minor=20_000,
            )
            for person in sample_people
        ],
        batch_size=5_000,
    )
    with connection.cursor() as cursor:
        for table in ("compensation_affectedperson", "compensation_award", "vouchers_voucher",
                      "notifications_notice", "claims_claim"):  # fmt: skip
            cursor.execute(f"ANALYZE {table}")
    print(
        f"vouchers ({args.vouchers_per_person} a person), a notice a person, "
        f"{len(sample_people):,} claims: {time.perf_counter() - started:.1f}s"
    )

    # --- An agent, signed in with a second factor ---------------------------------------------
    from django.contrib.auth.models import Group

    agent = User.objects.create_user(email=f"agent-{stamp}@bench.example", password=None)
    agent.is_staff = True
    agent.save(update_fields=["is_staff"])
    agent.groups.add(Group.objects.get(name="Support agent"))
    device = StaticDevice.objects.create(user=agent, name="bench")
    client = Client(HTTP_HOST="localhost")
    client.force_login(agent)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    programs = list(Program.objects.order_by("name"))

    rng = random.Random(7)
    targets = rng.sample(sample_people, min(args.repeat, len(sample_people)))
    target_ids = [p.pk for p in targets]
    claims = dict(
        Claim.objects.filter(person_id__in=target_ids).values_list("person_id", "reference")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT ON (person_id) person_id, reference FROM notifications_notice "
            "WHERE person_id = ANY(%s) ORDER BY person_id, id",
            [target_ids],
        )
        notices = dict(cursor.fetchall())
        cursor.execute(
            "SELECT DISTINCT ON (person_id) person_id, last4 FROM vouchers_voucher "
            "WHERE person_id = ANY(%s) ORDER BY person_id, id",
            [target_ids],
        )
        last4 = dict(cursor.fetchall())

    def phone_spelled(phone: str) -> str:
        digits = phone.replace("-", "")
        return f"+82 {digits[1:3]} {digits[3:7]} {digits[7:]}"

    kinds: dict[str, Callable[[AffectedPerson], str]] = {
        "email": lambda p: p.email.upper(),
        "phone": lambda p: phone_spelled(p.phone),
        "external id": lambda p: p.external_id,
        "name": lambda p: p.name,
        "claim reference": lambda p: claims[p.pk],
        "notice reference": lambda p: reference_display(notices[p.pk]),
    }
    if args.vouchers_per_person:
        # Four letters are marked (*ABCD), as the search box's help says: "ANNA" may be a name.
        kinds["voucher last four + name"] = lambda p: (
            f"{'' if any(c.isdigit() for c in last4[p.pk]) else '*'}{last4[p.pk]} {p.name}"
        )
    expected = {
        "email": Kind.EMAIL, "phone": Kind.PHONE, "external id": Kind.EXTERNAL_ID,
        "name": Kind.NAME, "claim reference": Kind.CLAIM, "notice reference": Kind.NOTICE,
        "voucher last four + name": Kind.VOUCHER,
    }  # fmt: skip
    url = reverse("admin:support_person_changelist")
    print(f"\nsearches, {len(targets)} of each kind, all {len(programs)} programs "
          f"({AffectedPerson.objects.count():,} people in the table):")  # fmt: skip
    for label, spell in kinds.items():
        view_times, selector_times, missed, truncated = [], [], 0, 0
        for person in targets:
            text = spell(person)
            query = query_parse(text)
            assert query.primary == expected[label], (label, query.kinds)
            started = time.perf_counter()
            result = people_search(query=query, user=agent, programs=programs)
            selector_times.append(time.perf_counter() - started)
            found = [f.person.pk for f in result.people]
            missed += person.pk not in found
            truncated += result.truncated
            started = time.perf_counter()
            response = client.post(url, {"q": text, "program": ""})
            view_times.append(time.perf_counter() - started)
            assert response.status_code == 200
        print(f"  {label:26} page {ms(view_times)} | selector {ms(selector_times)}"
              f"{f'  (cut at 25 for {truncated})' if truncated else ''}")  # fmt: skip
        assert missed == 0 or label == "name", f"{label}: {missed} not found"
        if missed:
            print(f"    {missed} of the searched people not among the first 25 of their name")

    page_times, counts = [], []
    for person in targets:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(reverse("admin:support_person_page", args=[person.pk]))
            page_times.append(time.perf_counter() - started)
        assert response.status_code == 200
        counts.append(len(captured.captured_queries))
    print(f"\nperson page, {len(targets)} people: {ms(page_times)}; queries per page "
          f"{min(counts)}-{max(counts)} (sign-in, device and permissions included)")  # fmt: skip
    Program.objects.filter(pk=program.pk).update(status=Program.Status.DRAFT)


if __name__ == "__main__":
    main()
