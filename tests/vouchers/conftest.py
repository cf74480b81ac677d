import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from compensation.engine import rules_validate
from compensation.models import PolicyVersion, Program
from tests.factories import AwardLineFactory, ProgramFactory
from vouchers.services.issuance import voucher_batch_execute
from vouchers.services.keys import service_key_create
from vouchers.services.runs import voucher_batch_start

LINES = [("store", 5_000), ("eats", 5_000), ("travel", 20_000), ("rlux", 20_000)]


def people_make(program, count: int, *, start: int = 0, segment="member", region="seoul"):
    """`count` affected people in one statement (factories are for single objects)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO compensation_affectedperson (program_id, external_id, name, email, "
            "phone, language, region, segment, account_status, data_categories, created_at, "
            "updated_at) SELECT %s, 'P' || lpad(g::text, 8, '0'), '', 'p' || g || "
            "'@example.com', '', 'ko', %s, %s, 'active', ARRAY['email'], now(), now() "
            "FROM generate_series(%s, %s) g",
            [program.pk, region, segment, start + 1, start + count],
        )


def policy_publish_for(program, **eligibility):
    codes = list(program.award_lines.values_list("code", flat=True))
    rules = rules_validate(
        {"eligibility": eligibility, "proactive": {"award_lines": codes}},
        award_line_codes=set(codes),
    )
    return PolicyVersion.objects.create(
        program=program, number=1, status=PolicyVersion.Status.PUBLISHED, rules=rules
    )


def voucher_program_make(*, name: str, account_statuses: list[str]) -> Program:
    """A program with the four voucher lines (LINES), its vouchers valid from yesterday for
    90 days, and a published policy granting them to people of those account statuses."""
    program = ProgramFactory.create(
        name=name,
        budget_minor=10_000_000_000,
        voucher_valid_from=timezone.now() - dt.timedelta(days=1),
        voucher_valid_until=timezone.now() + dt.timedelta(days=90),
    )
    for position, (code, amount) in enumerate(LINES):
        AwardLineFactory.create(
            program=program, code=code, service_scope=code, amount_minor=amount, position=position
        )
    policy_publish_for(program, account_statuses=account_statuses)
    return program


@pytest.fixture
def coupang():
    """The Coupang shape: four single-use vouchers per person, one per service."""
    return voucher_program_make(name="Coupang 2025", account_statuses=["active", "dormant"])


def run_issue(program, *, chunk_size=100, segments=None, lines=None):
    """Start a run as the admin does and work it to the end in this process."""
    batch = voucher_batch_start(
        program=program,
        award_lines=list(lines or program.award_lines.all()),
        segments=segments,
        confirm_name=program.name,
        chunk_size=chunk_size,
        actor_label="test",
    )
    while voucher_batch_execute(batch_id=batch.pk):
        pass
    batch.refresh_from_db()
    return batch


@pytest.fixture
def no_dispatch(monkeypatch):
    """Runs are worked in-process by the test, not by a broker."""
    calls = []
    monkeypatch.setattr(
        "vouchers.services.runs.voucher_batch_dispatch",
        lambda **kw: calls.append(kw),
    )
    return calls


@pytest.fixture
def eats_key():
    key, raw = service_key_create(name="Eats checkout", service_scope="eats", actor_label="test")
    setattr(key, "raw", raw)  # the secret rides along on the instance, for the requests
    return key


@pytest.fixture(autouse=True)
def _clean_throttle(settings):
    """Each test counts its own failed attempts and list requests."""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter(match="ratelimit:*:vouchers.*"):
        client.delete(key)
