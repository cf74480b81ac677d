"""Rehearsal at Coupang's size: a generated population file imported through the real path,
the policy dry-run and published, vouchers issued to 10M+ people by worker processes, redeemed
by 8 clients, the "your vouchers are ready" campaign built, and then the pages and APIs staff
and people use timed at that size (p50, p99, each with its query count). Each step prints its
time beside its raw anchor measured in the same run; with --docs the figures replace the
rehearsal section of docs/performance.md.

Run by hand, never in CI, on a database of its own (migrated first; use a fresh one, the bytes
per voucher are the whole tables'), on a server with the settings of docs/operating.md:

    scripts/rehearsal_pg.sh start /var/tmp/pgrehearsal        # port 5440
    psql -h 127.0.0.1 -p 5440 -U postgres -c 'create database rehearsal'
    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5440/rehearsal \\
      REDIS_URL=redis://127.0.0.1:6379/13 flock /tmp/bench.lock \\
      .venv/bin/python scripts/rehearse.py [--people 33700000] [--docs]

A run stopped part-way (its log holds the rows it printed) goes on from there with
`--resume LOG --steps policy,issue,...`: the same database and its latest program; every
step but the import can run again (a new policy version, a new run).

Who gets vouchers: the policy covers --regions, the run issues to --segments (defaults: three
of the file's four regions, one of its two segments: 3/8 of the people, 12.6M of 33.7M, so
50.5M vouchers). Disk: about 600 bytes a voucher all in today plus about 700 bytes a person
(the person table with its search indexes) plus the file (about 3.5 GB at 33.7M): some 45 GB
at full size. Prints figures only, never a code or a person's data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import bench_import  # noqa: E402  (django.setup() happens in bench_issuance)
import bench_issuance  # noqa: E402
import bench_redeem  # noqa: E402
import bench_reminders  # noqa: E402
import bench_support_search  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp.plugins.otp_static.models import StaticDevice  # noqa: E402

from accounts.models import User  # noqa: E402
from claims.models import Claim  # noqa: E402
from compensation import claimant_session  # noqa: E402
from compensation.models import (  # noqa: E402
    AffectedPerson,
    AwardLine,
    ClaimType,
    DryRun,
    Incident,
    Program,
)
from compensation.services.policy import (  # noqa: E402
    dry_run_execute,
    policy_draft_create,
    policy_publish,
)
from compensation.services.population_import import (  # noqa: E402
    population_import_create,
    population_import_run,
)
from config import queueing  # noqa: E402
from notifications.models import Campaign  # noqa: E402
from notifications.references import reference_display  # noqa: E402
from notifications.services import campaign_build  # noqa: E402
from vouchers.models import Voucher  # noqa: E402
from vouchers.services import issuance  # noqa: E402
from vouchers.services.keys import service_key_create  # noqa: E402

REGIONS = ["seoul", "busan", "incheon", "daegu"]  # the generated file's (bench_support_search)
PAGE_TARGET_MS = 300
DOCS = ROOT / "docs" / "performance.md"
MARK_START, MARK_END = "<!-- rehearsal:start -->", "<!-- rehearsal:end -->"
STEPS = ("import", "policy", "issue", "redeem", "campaign", "pages")
# The labels of the rows the steps before the campaign print (Report.rows_read).
STEPS_PRINTED = (
    "import", "dry run", "issuance", "bytes per voucher", "redemption, service layer",
    "redemption, HTTP",
)  # fmt: skip


class Report:
    """The figures, printed as they come and kept for docs/performance.md."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, step: str, figure: str, anchor: str = "", verdict: str = "") -> None:
        if any(row[0] == step for row in self.rows):
            step += " (resumed run)"  # a step a resumed run did again
        self.rows.append((step, figure, anchor, verdict))
        print(f"{step}: {figure}" + (f" | anchor: {anchor}" if anchor else "")
              + (f" | {verdict}" if verdict else ""), flush=True)  # fmt: skip

    def rows_read(self, log: Path) -> None:
        """The rows an interrupted run printed (its log), so a resumed run reports them too."""
        for line in log.read_text().splitlines():
            step, _, rest = line.partition(": ")
            if step not in STEPS_PRINTED or not rest:
                continue
            figure, _, tail = rest.partition(" | anchor: ")
            anchor, verdict = tail.rsplit(" | ", 1) if " | " in tail else (tail, "")
            if not tail and " | " in figure:
                figure, verdict = figure.rsplit(" | ", 1)
            self.rows.append((step, figure, anchor, verdict))

    def markdown(self, args, commit: str, started: str) -> str:
        head = (
            f"Rehearsal of {started} at commit `{commit}`: {args.people:,} people "
            f"(`scripts/rehearse.py --people {args.people}`), {os.cpu_count()} cores, "
            f"PostgreSQL shared_buffers {_setting('shared_buffers')}, "
            f"work_mem {_setting('work_mem')}, max_wal_size {_setting('max_wal_size')}.\n\n"
            "| step | figure | raw anchor, same run | against the target |\n|---|---|---|---|\n"
        )
        body = "".join(f"| {a} | {b} | {c} | {d} |\n" for a, b, c, d in self.rows)
        return head + body


def _setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


def _load() -> str:
    return "load " + "/".join(f"{x:.1f}" for x in os.getloadavg())


def _verdict(ratio: float, target: float, higher_better: bool = True) -> str:
    met = ratio >= target if higher_better else ratio <= target
    return f"{ratio:.2f} against {target} ({'met' if met else 'not met'})"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# --- The steps --------------------------------------------------------------------------------


def program_create(budget_minor: int) -> Program:
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    incident = Incident.objects.create(
        title=f"Rehearsal {stamp}", summary="rehearsal", detected_at=timezone.now()
    )
    program = Program.objects.create(
        incident=incident,
        slug=f"rehearsal-{stamp}",
        name=f"Rehearsal {stamp}",
        currency="KRW",
        budget_minor=budget_minor,
        voucher_valid_from=timezone.now() - dt.timedelta(days=1),
        voucher_valid_until=timezone.now() + dt.timedelta(days=90),
        status=Program.Status.OPEN,
    )
    for position, (code, amount) in enumerate(bench_issuance.LINES):
        AwardLine.objects.create(
            program=program, code=code, service_scope=code, amount_minor=amount, position=position
        )
    return program


def step_import(report: Report, program: Program, path: Path) -> int:
    raw = bench_import.raw_copy_bare(path)
    started = time.perf_counter()
    done = population_import_run(
        import_id=population_import_create(
            program=program,
            source=path,
            original_name=path.name,
            copy_to_store=False,
            actor_label="rehearsal",
        ).pk
    )
    seconds = time.perf_counter() - started
    people = done.rows_inserted
    indexed = bench_import.indexed_copy_seconds(program.pk)
    report.add(
        "import",
        f"{people:,} people in {seconds:,.1f} s, {people / seconds:,.0f} rows/s ({_load()})",
        f"COPY into a bare table {raw:,.1f} s; the imported rows COPY'd into a table with the "
        f"person table's indexes {indexed:,.1f} s",
        _verdict(indexed / seconds, 0.7),
    )
    return people


def step_policy(report: Report, program: Program, regions: list[str]) -> None:
    rules = {
        "eligibility": {"account_statuses": ["active", "dormant"], "regions": regions},
        "proactive": {"award_lines": [code for code, _ in bench_issuance.LINES]},
        "limits": {"per_person_minor": 500_000, "offset_proactive": False},
    }
    policy = policy_draft_create(program=program, rules=rules, actor_label="rehearsal")
    dry_run = DryRun.objects.create(policy=policy, budget_minor=program.budget_minor)
    started = time.perf_counter()
    dry_run = dry_run_execute(dry_run_id=dry_run.pk)
    seconds = time.perf_counter() - started
    report.add(
        "dry run",
        f"{dry_run.people_total:,} people ({dry_run.people_eligible:,} eligible) in "
        f"{seconds:,.1f} s, {dry_run.people_total / seconds:,.0f} people/s ({_load()})",
        "",
        f"{seconds:,.1f} s against 60 s ({'met' if seconds < 60 else 'not met'})",
    )
    policy_publish(policy=policy, actor_label="rehearsal")


def step_issue(report: Report, program: Program, args) -> int:
    vouchers, seconds, batch_id = bench_issuance.issue(
        program, args.chunk_size, args.workers, segments=args.segments
    )
    rate = vouchers / seconds
    # The anchor: a binary COPY of identical rows into identical tables over as many
    # connections, on a sample of the run (a copy of the whole would double the disk).
    sample_top = (
        Voucher.objects.filter(batch_id=batch_id)
        .order_by("id")
        .values_list("id", flat=True)[min(args.raw_sample, vouchers) - 1]
    )
    shape = bench_issuance._identical_table("vouchers_voucher", bench_issuance.RAW_VOUCHER)
    copied, raw_seconds = bench_issuance.raw_copy(
        "vouchers_voucher", bench_issuance.RAW_VOUCHER, "batch_id = %s AND id <= %s",
        [batch_id, sample_top], [c for c, _ in issuance.VOUCHER_COPY_FIELDS],
        [t for _, t in issuance.VOUCHER_COPY_FIELDS], args.chunk_size * 4, args.workers,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {bench_issuance.RAW_VOUCHER}")
    raw_rate = copied / raw_seconds
    minimal, minimal_seconds = bench_issuance.minimal_copy(
        min(args.raw_sample, vouchers), args.chunk_size * 4, args.workers
    )
    minimal_rate = minimal / minimal_seconds
    hours = bench_issuance.COUPANG_VOUCHERS / rate / 3600
    report.add(
        "issuance",
        f"{vouchers:,} vouchers in {seconds:,.0f} s, {rate:,.0f}/s with {args.workers} "
        f"workers; 134.8M at this rate {hours:.1f} h ({_load()})",
        f"the minimal rows (code hash and its unique index, owner, line, state; codes made in "
        f"Python) by COPY over {args.workers} connections, {minimal:,} rows: "
        f"{minimal_rate:,.0f}/s; identical voucher rows ({shape}): {raw_rate:,.0f}/s",
        _verdict(rate / minimal_rate, 0.8) + f"; {rate / raw_rate:.2f} of the identical rows",
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE vouchers_voucher")
        cursor.execute("VACUUM ANALYZE compensation_award")
        cursor.execute(
            "SELECT pg_total_relation_size('vouchers_voucher'), "
            "pg_total_relation_size('compensation_award'), "
            "(SELECT count(*) FROM vouchers_voucher)"
        )
        voucher_bytes, award_bytes, total = cursor.fetchone()
    per = (voucher_bytes + award_bytes) / total
    report.add(
        "bytes per voucher",
        f"{per:,.0f} B all in ({voucher_bytes / total:,.0f} voucher row and indexes, "
        f"{award_bytes / total:,.0f} its award) over {total:,} vouchers",
        "",
        f"{per:,.0f} against 250 ({'met' if per <= 250 else 'not met'})",
    )
    return batch_id


def step_redeem(report: Report, args) -> None:
    key, raw_key = service_key_create(name="rehearsal", service_scope="eats", actor_label="r")
    per, clients = args.redeem_per_client, args.clients
    codes = bench_redeem.codes_take("eats", per * clients * 3)
    split = [codes[i * per : (i + 1) * per] for i in range(clients * 3)]
    bare, bare_p99 = bench_redeem.bench_raw_update(split[:clients])
    service, service_p99 = bench_redeem.bench_service(key, split[clients : 2 * clients])
    anchor = f"bare conditional UPDATE {bare:,.0f}/s, p99 {bare_p99 * 1000:,.1f} ms"
    report.add(
        "redemption, service layer",
        f"{service:,.0f}/s, p99 {service_p99 * 1000:,.1f} ms, {clients} clients ({_load()})",
        anchor,
        _verdict(service / bare, 0.35),
    )
    http, http_p99 = bench_redeem.bench_http(raw_key, split[2 * clients :], args.server_workers)
    report.add(
        "redemption, HTTP",
        f"{http:,.0f}/s, p99 {http_p99 * 1000:,.1f} ms, {clients} clients, gunicorn "
        f"{args.server_workers} workers x 4 threads ({_load()})",
        anchor,
        f"{_verdict(http / bare, 0.12)}; p99 {http_p99 / bare_p99:.1f}x the bare UPDATE's "
        f"against at most 4x ({'met' if http_p99 <= 4 * bare_p99 else 'not met'})",
    )


def step_campaign(report: Report, batch_id: int, budget: float = 0) -> None:
    """Build the run's vouchers-ready campaigns (email first), to the end or for `budget`
    seconds (a partial build, as a campaign mid-way is); the anchor copies the rows built."""
    campaigns = sorted(
        Campaign.objects.filter(dedupe_key__startswith=f"vouchers:run:{batch_id}:"),
        key=lambda c: c.channel != "email",
    )
    settings.NOTIFICATIONS_BUILD_TIME_BUDGET = 36_000
    started = time.perf_counter()
    deadline = started + (budget or 10**9)
    finished = True
    for campaign in campaigns:
        while not campaign_build(
            campaign_id=campaign.pk,
            time_budget_seconds=min(36_000, max(1, deadline - time.perf_counter())),
        ):
            if time.perf_counter() >= deadline:
                finished = False
                break
        if not finished:
            break
    seconds = time.perf_counter() - started
    email = next(c for c in campaigns if c.channel == "email")
    built = sum(Campaign.objects.filter(pk__in=[c.pk for c in campaigns]).values_list(
        "notices_created", flat=True))  # fmt: skip
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(bench_reminders._RAW_SQL, [email.pk])
        raw_rows = cursor.rowcount
        raw = time.perf_counter() - started
        cursor.execute(
            "DELETE FROM notifications_notice WHERE campaign_id IS NULL AND dedupe_key LIKE "
            "'raw:%%'"
        )
    email.refresh_from_db()
    email_seconds = seconds * email.notices_created / max(built, 1)
    partial = "" if finished else f"; stopped after {budget:,.0f} s, a partial build"
    report.add(
        "vouchers-ready campaign",
        f"{built:,} notices in {seconds:,.0f} s, {built / seconds:,.0f}/s{partial} ({_load()})",
        f"plain INSERT ... SELECT of the {raw_rows:,} email notices {raw:,.1f} s",
        _verdict(raw / email_seconds, 0.8) + " (the email campaign's share of the time)",
    )


def _staff_client() -> Client:
    """A test client of an operator signed in with a second factor (its session is in the
    database, so the same cookie works against the server)."""
    user = User.objects.filter(email="rehearsal-operator@example.com").first()
    if user is None:
        user = User.objects.create_superuser(email="rehearsal-operator@example.com", password=None)
    device = StaticDevice.objects.create(user=user, name="rehearsal")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def _claimant_client(person: AffectedPerson) -> Client:
    """A test client signed in as the person (as the code sign-in leaves the session)."""
    client = Client(HTTP_HOST="127.0.0.1")
    session = client.session
    session[claimant_session._PERSON_KEY] = person.pk
    assert person.email_hash is not None
    session[claimant_session._EMAIL_HASH_KEY] = bytes(person.email_hash).hex()
    session.save()
    assert session.session_key is not None
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client


def _cookie(client: Client) -> str:
    return "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())


# One request: (method, path, form data or None, the client whose session it uses).
Request = tuple[str, str, dict | None, Client]


def page_time(report: Report, label: str, requests: list[list[Request]], port: int,
              headers: dict | None = None) -> None:  # fmt: skip
    """The requests of each client over its own keep-alive connection to the server, all
    clients at once; p50/p99 of all, and the queries of one request (made in this process
    through the test client, the same view and session)."""
    method, path, data, client = requests[0][0]
    # With DEBUG on every query is kept in a bounded log; once it is full a capture of its
    # growth counts nothing, so it starts empty.
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        probe = getattr(client, method)(path, data or {}, headers=headers or {})
    assert probe.status_code == 200, (label, probe.status_code)
    queries = len(captured.captured_queries)

    def work(i: int, latencies: list[float]) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        ok = 0
        for method, path, data, client in requests[i]:
            sent = {**(headers or {}), "Cookie": _cookie(client) + "; csrftoken=" + CSRF}
            body = None
            if data is not None:
                body = urllib.parse.urlencode(data)
                sent |= {"Content-Type": "application/x-www-form-urlencoded",
                         "X-CSRFToken": CSRF, "Referer": f"http://127.0.0.1:{port}/"}  # fmt: skip
            started = time.perf_counter()
            conn.request(method.upper(), path, body, sent)
            response = conn.getresponse()
            response.read()
            latencies.append(time.perf_counter() - started)
            ok += response.status == 200
        conn.close()
        return ok

    latencies, _, ok = bench_redeem.run_clients(len(requests), work)
    assert ok == len(latencies), f"{label}: {len(latencies) - ok} requests not answered 200"
    p50, p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
    report.add(
        label,
        f"p50 {p50:,.0f} ms, p99 {p99:,.0f} ms, {queries} queries ({len(latencies):,} requests, "
        f"{len(requests)} clients; {_load()})",
        "",
        f"p99 {p99:,.0f} against {PAGE_TARGET_MS} ms "
        f"({'met' if p99 <= PAGE_TARGET_MS else 'not met'})",
    )


CSRF = "r" * 32  # the form token and its cookie, as a browser holds them


def step_pages(report: Report, program: Program, args) -> None:
    clients, per = args.clients, args.requests
    holders = list(
        AffectedPerson.objects.filter(
            program=program, pk__in=Voucher.objects.filter(program=program).values("person_id")
        ).order_by("?")[: clients * per]
    )
    # A claim for one person in a thousand, so the queue has work at this size.
    # (A resumed run keeps the claims an earlier try made.)
    claim_type, made = ClaimType.objects.get_or_create(
        program=program, code="time-spent", defaults={"title": {"en": "T"}}
    )
    people = AffectedPerson.objects.filter(program=program)
    if made:
        sample = list(people.order_by("?")[: max(len(holders), people.count() // 1000)])
        Claim.objects.bulk_create(
            [
                Claim(program=program, claim_type=claim_type, person=person,
                      claimant_email_hash=person.email_hash, amount_claimed_minor=20_000)
                for person in sample
            ],
            batch_size=5_000,
        )  # fmt: skip
    else:
        sample = list(people.filter(claims__claim_type=claim_type))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim")
    _, raw_key = service_key_create(name="rehearsal-shop", service_scope="store", actor_label="r")

    def phone(person: AffectedPerson) -> str:
        digits = person.phone.replace("-", "")
        return f"+82 {digits[1:3]} {digits[3:7]} {digits[7:]}"

    def each(
        make: Callable[[int, AffectedPerson], Request], among: list[AffectedPerson] = holders
    ) -> list[list[Request]]:
        return [
            [make(i, among[(i * per + n) % len(among)]) for n in range(per)] for i in range(clients)
        ]

    # What the desk's other searches look for: a claim's and a notice's reference, a voucher's
    # last four with the name (as bench_support_search spells each).
    claimed = sample[: clients * per]
    claim_of = dict(Claim.objects.filter(person__in=claimed).values_list("person_id", "reference"))
    with connection.cursor() as cursor:
        ids = [p.pk for p in holders]
        cursor.execute(
            "SELECT DISTINCT ON (person_id) person_id, reference FROM notifications_notice "
            "WHERE person_id = ANY(%s) ORDER BY person_id, id", [ids],
        )  # fmt: skip
        notice_of = dict(cursor.fetchall())
        cursor.execute(
            "SELECT DISTINCT ON (person_id) person_id, last4 FROM vouchers_voucher "
            "WHERE person_id = ANY(%s) ORDER BY person_id, id", [ids],
        )  # fmt: skip
        last4_of = dict(cursor.fetchall())
    noticed = [p for p in holders if p.pk in notice_of]

    def searched(text: str, i: int) -> Request:
        return ("post", search, {"q": text, "program": ""}, staff[i])

    def last4(p: AffectedPerson) -> str:
        code = last4_of[p.pk]
        return f"{'' if any(c.isdigit() for c in code) else '*'}{code} {p.name}"

    anonymous = Client(HTTP_HOST="127.0.0.1")
    staff = [_staff_client() for _ in range(clients)]
    program_url = reverse("claims:program", args=[program.slug])
    dashboard = reverse("admin:oversight_programdashboard_change", args=[program.pk])
    queue = reverse("admin:claims_claim_changelist")
    search = reverse("admin:support_person_changelist")
    with bench_redeem.http_server(args.server_workers) as port:
        pages: list[tuple[str, list[list[Request]], dict | None]] = [
            ("program page", each(lambda i, p: ("get", program_url, None, anonymous)), None),
            ("dashboard", each(lambda i, p: ("get", dashboard, None, staff[i])), None),
            ("claims queue", each(lambda i, p: ("get", queue, None, staff[i])), None),
            ("person search (phone)", each(lambda i, p: searched(phone(p), i)), None),
            ("person search (email)", each(lambda i, p: searched(p.email.upper(), i)), None),
            ("person search (external id)", each(lambda i, p: searched(p.external_id, i)), None),
            ("person search (name)", each(lambda i, p: searched(p.name, i)), None),
            ("person search (claim reference)",
             each(lambda i, p: searched(claim_of[p.pk], i), claimed), None),
            ("person search (voucher last four + name)",
             each(lambda i, p: searched(last4(p), i)), None),
            ("person page", each(lambda i, p: (
                "get", reverse("admin:support_person_page", args=[p.pk]), None, staff[i])), None),
            ("/me/", each(lambda i, p: ("get", "/me/", None, _claimant_client(p))), None),
            ("shop list API", each(lambda i, p: (
                "get", f"/api/v1/customers/{p.external_id}/vouchers", None, anonymous)),
             {"Authorization": f"ServiceKey {raw_key}"}),
        ]  # fmt: skip
        if noticed:  # the campaign ran: its notices have references to look up
            pages.insert(
                7,
                (
                    "person search (notice reference)",
                    each(lambda i, p: searched(reference_display(notice_of[p.pk]), i), noticed),
                    None,
                ),
            )
        for label, requests, headers in pages:
            page_time(report, label, requests, port, headers)


def docs_write(text: str) -> None:
    current = DOCS.read_text()
    if MARK_START in current:
        before, rest = current.split(MARK_START, 1)
        after = rest.split(MARK_END, 1)[1]
        DOCS.write_text(f"{before}{MARK_START}\n{text}{MARK_END}{after}")
    else:
        DOCS.write_text(f"{current.rstrip()}\n\n## Rehearsal\n\n{MARK_START}\n"
                        f"{text}{MARK_END}\n")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=33_700_000)
    parser.add_argument("--regions", default="seoul,busan,incheon")
    parser.add_argument("--segments", default="member")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=2_500)
    parser.add_argument("--raw-sample", type=int, default=2_000_000, help="vouchers")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--redeem-per-client", type=int, default=1_000)
    parser.add_argument("--server-workers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=100, help="per client and page")
    parser.add_argument("--docs", action="store_true", help="write docs/performance.md")
    parser.add_argument(
        "--campaign-seconds", type=float, default=0, help="stop the campaign build after this"
    )
    parser.add_argument(
        "--resume",
        type=Path,
        metavar="LOG",
        help="go on from the log of a stopped run: its rows are reported, its program (the "
        "database's latest) and run carry on; every step but the import can run again",
    )
    parser.add_argument(
        "--steps",
        default=",".join(STEPS),
        help=f"the steps to run, in this order (of {','.join(STEPS)})",
    )
    args = parser.parse_args()
    steps = [step for step in args.steps.split(",") if step]
    assert set(steps) <= set(STEPS), steps
    assert not (args.resume and "import" in steps), "a resumed run has its people already"
    args.segments = args.segments.split(",")
    regions = [r for r in args.regions.split(",") if r]
    assert set(regions) <= set(REGIONS), regions

    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    queueing.task_send = lambda *a, **k: True  # the steps run here; no worker is needed
    started_at = timezone.now().strftime("%Y-%m-%d %H:%M UTC")
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    report = Report()
    clock = time.perf_counter()
    if args.resume:
        report.rows_read(args.resume)
        program = Program.objects.filter(slug__startswith="rehearsal-").latest("id")
        Program.objects.filter(pk=program.pk).update(status=Program.Status.OPEN)  # reopened
        program.refresh_from_db()
        args.people = AffectedPerson.objects.filter(program=program).count()
        if "issue" not in steps:
            last_batch = Voucher.objects.filter(program=program).latest("id").batch_id
            assert last_batch is not None, "the run to resume issued no vouchers"
            batch_id = last_batch
    else:
        path = bench_support_search.population_file(args.people)
        program = program_create(budget_minor=args.people * 50_000 * 2)
    for step in steps:
        if step == "import":
            step_import(report, program, path)
        elif step == "policy":
            step_policy(report, program, regions)
        elif step == "issue":
            batch_id = step_issue(report, program, args)
        elif step == "redeem":
            step_redeem(report, args)
        elif step == "campaign":
            step_campaign(report, batch_id, args.campaign_seconds)
        elif step == "pages":
            step_pages(report, program, args)
    print(f"\nrehearsal done in {(time.perf_counter() - clock) / 60:,.1f} min ({_load()})")
    text = report.markdown(args, commit, started_at)
    print("\n" + text)
    if args.docs:
        docs_write(text)
    Program.objects.filter(pk=program.pk).update(status=Program.Status.DRAFT)


if __name__ == "__main__":
    main()
