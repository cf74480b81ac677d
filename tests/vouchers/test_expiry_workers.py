"""No silent forfeiture with real worker processes, real Redis and a real SMTP server: beat
starts the expiry reminder, the workers build and send it to exactly the holders with value
left; an approved extension is moved by a worker in chunks and its holders are told."""

import datetime as dt
import zoneinfo

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission
from django.utils import timezone

from audit.proposals import proposal_approve
from compensation.models import AffectedPerson
from config import queueing
from notifications.models import Notice, NoticeTemplate
from tests.factories import UserFactory
from tests.notifications.smtp import SmtpServer
from tests.notifications.workers import Workers, wait_for
from tests.support import notice_templates_seed
from tests.vouchers.conftest import people_make, run_issue
from vouchers.models import ValidityExtension, Voucher
from vouchers.proposals import validity_extend_proposal
from vouchers.services.expiry import voucher_expiry_reminders_start

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SEOUL = zoneinfo.ZoneInfo(django_settings.TIME_ZONE)


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def workers(tmp_path, smtp, settings, monkeypatch):
    """Workers whose every queue (notices, bulk work, beat's sweeps) is one private queue, with
    the reminder hours open all day, beat looking every 2 seconds and extensions moving 7
    vouchers at a time."""
    pool = Workers(
        tmp_path,
        smtp_port=smtp.port,
        VOUCHERS_EXPIRY_REMINDER_HOURS="0,24",
        VOUCHERS_EXPIRY_REMINDER_EVERY="2",
        VOUCHERS_EXTENSION_CHUNK="7",
    )
    pool.env["SWEEPS_QUEUE"] = pool.env["BULK_QUEUE"] = pool.queue
    settings.NOTIFICATIONS_QUEUE = pool.queue
    settings.NOTIFICATIONS_SITE_URL = "https://compensation.example.com"
    real_send = queueing.task_send

    def to_pool(name, kwargs, *, queue=None, required=False):
        return real_send(name, kwargs, queue=queue or pool.queue, required=required)

    monkeypatch.setattr(queueing, "task_send", to_pool)
    yield pool
    pool.stop_all()


@pytest.fixture(autouse=True)
def _templates():
    """A transactional test's flush empties the templates: seed them as the migrations do."""
    if not NoticeTemplate.objects.exists():
        notice_templates_seed()


def _operator():
    """An operator by permission, not by role: a transactional test's flush removes groups."""
    user = UserFactory.create()
    user.user_permissions.add(Permission.objects.get(codename="issue_vouchers"))
    return user


def _holders(program) -> set[str]:
    """10 people, four vouchers each ending 25 days from now: P01 spent all of them, P02 two.
    Returns the email addresses of those with value left."""
    people_make(program, 10)
    run_issue(program, chunk_size=4)
    spent = {"P00000001": ["store", "eats", "travel", "rlux"], "P00000002": ["store", "eats"]}
    for external_id, scopes in spent.items():
        person = AffectedPerson.objects.get(program=program, external_id=external_id)
        Voucher.objects.filter(person=person, service_scope__in=scopes).update(
            state=Voucher.State.REDEEMED
        )
    Voucher.objects.filter(program=program).update(
        valid_until=timezone.now() + dt.timedelta(days=25)
    )
    return {f"p{n}@example.com" for n in range(2, 11)}


def _recipients(smtp, kind: str) -> list[str]:
    references = set(Notice.objects.filter(kind=kind).values_list("reference", flat=True))
    return sorted(
        str(message["To"])
        for message in smtp.handler.messages
        if message["X-Notice-Reference"] in references
    )


def test_beat_reminds_exactly_the_holders_with_value_left_once_through_the_workers(
    coupang, no_dispatch, workers, smtp
):
    expected = _holders(coupang)
    workers.start("a", beat=True)
    wait_for(
        lambda: Notice.objects.filter(kind="voucher_expiry_reminder", status="sent").count() == 9,
        timeout=120,
        workers=workers,
        what="9 reminders sent",
    )
    assert _recipients(smtp, "voucher_expiry_reminder") == sorted(expected)
    assert smtp.handler.duplicates() == 0
    p2 = next(
        m
        for m in smtp.handler.messages
        if m["To"] == "p2@example.com"
        and m["X-Notice-Reference"]
        in set(
            Notice.objects.filter(kind="voucher_expiry_reminder").values_list(
                "reference", flat=True
            )
        )
    )
    body = p2.get_body(preferencelist=("plain",))
    assert body is not None
    assert "40,000원" in body.get_content()  # people_make's are Korean
    assert "https://compensation.example.com/me/" in body.get_content()
    # Beat's next look (and any retry) starts nothing: nobody is reminded twice.
    noon = dt.datetime.combine(timezone.localdate(), dt.time(12), tzinfo=SEOUL)
    assert voucher_expiry_reminders_start(now=noon) == 0
    assert Notice.objects.filter(kind="voucher_expiry_reminder").count() == 9


def test_an_approved_extension_moves_the_whole_run_through_a_worker_and_tells_its_holders(
    coupang, no_dispatch, workers, smtp
):
    expected = _holders(coupang)
    run = coupang.voucher_batches.get()
    new_end = dt.datetime.combine(
        timezone.localdate() + dt.timedelta(days=150), dt.time(23, 59), tzinfo=SEOUL
    )
    proposal = validity_extend_proposal(
        program=coupang,
        batch=run,
        valid_until=new_end,
        reason="The services opened late",
        actor=_operator(),
    )
    workers.start("a")
    proposal_approve(proposal=proposal, actor=_operator())
    wait_for(
        lambda: ValidityExtension.objects.filter(done_at__isnull=False).exists(),
        timeout=60,
        workers=workers,
        what="the extension done",
    )
    extension = ValidityExtension.objects.get()
    assert extension.vouchers_extended == 34  # 40 less the 6 spent
    assert extension.cursor == extension.voucher_id_max
    usable = Voucher.objects.filter(batch=run).exclude(state=Voucher.State.REDEEMED)
    assert set(usable.values_list("valid_until", flat=True)) == {new_end}
    wait_for(
        lambda: Notice.objects.filter(kind="vouchers_extended", status="sent").count() == 9,
        timeout=90,
        workers=workers,
        what="9 extension notices sent",
    )
    assert _recipients(smtp, "vouchers_extended") == sorted(expected)
