"""A finished run tells each holder once that their vouchers are ready, and the notice's
sending marks their awards delivered."""

import ast
import calendar
import importlib
from pathlib import Path

import pytest
from django.apps import apps
from django.core import mail
from django.db import connection

from audit.models import AuditEvent
from compensation.models import AffectedPerson, Award
from notifications.models import Campaign, Notice, NoticeTemplate
from notifications.services import campaign_build, campaigns_start_due, notices_dispatch
from tests.factories import AffectedPersonFactory
from tests.vouchers.conftest import people_make, run_issue
from vouchers.models import IssuanceChunk, VoucherBatch
from vouchers.services.issuance import voucher_batch_execute

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def queued(monkeypatch, settings):
    """Tasks stay off the broker: the test works the builds and sends itself."""
    settings.NOTIFICATIONS_SITE_URL = "https://compensation.example.com"
    settings.NOTIFICATIONS_RATE_PER_SECOND = {"email": 0, "sms": 0}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    calls: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        "config.queueing.task_send", lambda name, kwargs, **options: calls.append((name, kwargs))
    )
    if not NoticeTemplate.objects.filter(kind="vouchers_ready").exists():
        importlib.import_module("notifications.migrations.0009_vouchers_ready_templates").seed(
            apps, None
        )
    return calls


def _build_all() -> None:
    campaigns_start_due()
    for campaign_id in Campaign.objects.filter(status=Campaign.Status.BUILDING).values_list(
        "pk", flat=True
    ):
        assert campaign_build(campaign_id=campaign_id) is True


def _holders_setup(coupang) -> tuple[set[int], int]:
    """30 eligible people by email, one by phone only, 5 closed accounts (no vouchers)."""
    people_make(coupang, 30)
    people_make(coupang, 5, start=30)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE compensation_affectedperson SET account_status = 'closed' "
            "WHERE program_id = %s AND external_id > 'P00000030'",
            [coupang.pk],
        )
    phone_only = AffectedPersonFactory.create(
        program=coupang, email="", phone="+821012345678", language="en", account_status="active"
    )
    holders = set(
        AffectedPerson.objects.filter(program=coupang, account_status="active").values_list(
            "pk", flat=True
        )
    )
    return holders, phone_only.pk


def test_a_finished_run_queues_one_ready_notice_per_holder_and_none_for_others(
    coupang, no_dispatch, queued, django_capture_on_commit_callbacks
):
    holders, phone_only = _holders_setup(coupang)
    with django_capture_on_commit_callbacks(execute=True):
        batch = run_issue(coupang, chunk_size=10)
    assert batch.status == VoucherBatch.Status.DONE
    assert Campaign.objects.filter(kind="vouchers_ready").count() == 2
    # The finish started both campaigns and asked for their builds by task name.
    assert Campaign.objects.filter(kind="vouchers_ready", status="building").count() == 2
    assert [name for name, _ in queued].count("notifications.campaign_build") == 2
    _build_all()
    notices = Notice.objects.filter(kind="vouchers_ready")
    assert notices.count() == len(holders) == 31
    assert set(notices.values_list("person_id", flat=True)) == holders
    assert notices.get(person_id=phone_only).channel == "sms"
    assert notices.filter(channel="email").count() == 30
    korean = notices.filter(language="ko").first()
    assert korean is not None
    assert korean.context["voucher_count"] == "4"
    assert korean.context["voucher_total"] == "50,000원"
    assert "년" in korean.context["valid_from"]
    assert "월" in korean.context["valid_until"]
    english = notices.get(person_id=phone_only).context
    assert english["voucher_total"] == "₩50,000"
    assert english["valid_from"][-4:].isdigit()
    day, month, year = english["valid_from"].split(" ")
    assert day.isdigit()
    assert month in calendar.month_name
    assert year.isdigit()


def test_each_ready_notice_writes_the_total_in_its_persons_language(coupang, no_dispatch, queued):
    """The campaign's notices are built set-based (one INSERT ... SELECT): PostgreSQL writes
    each total as money_format does in the person's language, and so does the sent mail."""
    for number, language in enumerate(["ko", "en", "zh-hans"]):
        AffectedPersonFactory.create(
            program=coupang,
            email=f"m{number}@example.com",
            language=language,
            account_status="active",
        )
    run_issue(coupang, chunk_size=10)
    _build_all()
    totals = dict(
        Notice.objects.filter(kind="vouchers_ready").values_list(
            "language", "context__voucher_total"
        )
    )
    assert totals == {"ko": "50,000원", "en": "₩50,000", "zh-hans": "₩50,000"}
    while notices_dispatch(channel="email", chunk_size=7):
        pass
    bodies = {message.to[0]: message.body for message in mail.outbox}
    assert "50,000원" in bodies["m0@example.com"]
    assert "₩50,000" in bodies["m1@example.com"]
    assert "₩50,000" in bodies["m2@example.com"]
    assert not any("KRW" in body for body in bodies.values())


def test_finishing_the_run_again_or_a_second_run_adds_no_notice(coupang, no_dispatch, queued):
    holders, _ = _holders_setup(coupang)
    batch = run_issue(coupang, chunk_size=10)
    _build_all()
    IssuanceChunk.objects.filter(batch=batch).update(status="pending")
    VoucherBatch.objects.filter(pk=batch.pk).update(status="running")
    voucher_batch_execute(batch_id=batch.pk)  # re-finished
    run_issue(coupang, chunk_size=7)  # issues nothing new
    _build_all()
    assert Campaign.objects.filter(dedupe_key__startswith=f"vouchers:run:{batch.pk}:").count() == 2
    assert Notice.objects.filter(
        kind="vouchers_ready", campaign__audience_params__run=str(batch.pk)
    ).values("person_id").distinct().count() == len(holders)
    # The second run gave nobody a voucher, so its audience is empty.
    assert Notice.objects.filter(kind="vouchers_ready").count() == len(holders)


def test_sending_the_notice_marks_the_holders_awards_delivered(coupang, no_dispatch, queued):
    holders, phone_only = _holders_setup(coupang)
    run_issue(coupang, chunk_size=10)
    _build_all()
    assert Award.objects.filter(status="delivered").count() == 0
    while notices_dispatch(channel="email", chunk_size=7):
        pass
    assert len(mail.outbox) == 30
    body = mail.outbox[0].body
    assert "https://compensation.example.com/me/" in body
    assert "50,000원" in body  # people_make's are Korean
    delivered = Award.objects.filter(status="delivered")
    assert delivered.count() == 30 * 4
    assert phone_only not in set(delivered.values_list("person_id", flat=True))
    assert set(delivered.values_list("person_id", flat=True)) == holders - {phone_only}
    assert AuditEvent.objects.filter(action="award.deliver").exists()
    while notices_dispatch(channel="sms", chunk_size=7):
        pass
    assert Award.objects.filter(status="delivered").count() == len(holders) * 4
    assert Award.objects.filter(status="granted").count() == 0
    assert Campaign.objects.filter(kind="vouchers_ready", status="done").count() == 2


def test_the_ready_notice_carries_the_holders_personal_link_to_their_page(
    coupang, no_dispatch, queued
):
    from django.urls import reverse

    from claims.models import PersonalLink
    from tests.factories import ClaimantPersonFactory

    # As the import leaves a person: the keyed hash of their email, which the link is bound to.
    holder = ClaimantPersonFactory.create(program=coupang, account_status="active", language="ko")
    run_issue(coupang, chunk_size=10)
    _build_all()
    notices_dispatch(channel="email")
    (message,) = mail.outbox
    link = PersonalLink.objects.get(person=holder)
    assert link.next_path == reverse("claims:me")
    assert "https://compensation.example.com/go/" in message.body
    assert "https://compensation.example.com/me/" not in message.body  # the link in its place
    assert Award.objects.filter(person=holder, status="delivered").count() == 4


def test_the_dashboard_counts_delivered_awards(coupang, no_dispatch, queued):
    _holders_setup(coupang)
    run_issue(coupang, chunk_size=10)
    _build_all()
    while notices_dispatch(channel="email", chunk_size=50):
        pass
    with connection.cursor() as cursor:  # what oversight reads: award statuses
        cursor.execute(
            "SELECT count(*) FROM compensation_award "
            "WHERE program_id = %s AND status = 'delivered'",
            [coupang.pk],
        )
        assert cursor.fetchone()[0] > 0


def _imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_notifications_imports_neither_vouchers_nor_claims():
    sources = [
        path for path in (ROOT / "notifications").rglob("*.py") if "migrations" not in path.parts
    ]
    assert sources
    for path in sources:
        assert not _imported_apps(path) & {"vouchers", "claims"}, path
