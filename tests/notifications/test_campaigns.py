import ast
import datetime as dt
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from notifications.errors import NotificationError
from notifications.models import Campaign, Notice
from notifications.services import (
    campaign_build,
    campaign_cancel,
    campaign_create,
    campaign_schedule,
    campaigns_start_due,
    notices_dispatch,
)
from tests.factories import AffectedPersonFactory, ProgramFactory, UserFactory
from tests.notifications.factories import population_make

pytestmark = pytest.mark.django_db

VOUCHERS = {"voucher_total": "₩50,000", "valid_from": "2026-01-15"}


def _building(program, *, audience="population", params=None, channel="email") -> Campaign:
    campaign = campaign_create(
        name="Vouchers issued",
        program=program,
        kind="voucher_issued",
        channel=channel,
        audience=audience,
        audience_params=params or {},
        context=VOUCHERS,
        actor=UserFactory.create(),
    )
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.BUILDING, scheduled_for=timezone.now()
    )
    return campaign


def test_a_population_campaign_gives_each_person_with_an_address_one_notice_in_their_language():
    program = ProgramFactory.create()
    population_make(program, 30)
    AffectedPersonFactory.create(program=program, email="")  # nobody to write to
    population_make(ProgramFactory.create(), 5)  # another program's people
    campaign = _building(program)
    assert campaign_build(campaign_id=campaign.pk) is True
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING
    assert campaign.notices_created == 30
    notices = Notice.objects.filter(campaign=campaign).select_related("person")
    assert notices.count() == 30
    for notice in notices:
        assert notice.person is not None
        assert notice.language == notice.person.language
        assert notice.to_address == notice.person.email
        assert notice.priority == Notice.Priority.BULK
        assert notice.status == Notice.Status.PENDING
        assert notice.dedupe_key == f"campaign:{campaign.pk}:person:{notice.person_id}"
    assert {n.language for n in notices} == {"ko", "en", "zh-hans"}
    assert len({n.reference for n in notices}) == 30


def test_a_segment_campaign_reaches_only_that_segment():
    program = ProgramFactory.create()
    population_make(program, 10, segment="member")
    population_make(program, 4, segment="seller", start=10)
    campaign = _building(program, audience="segment", params={"segment": "seller"})
    campaign_build(campaign_id=campaign.pk)
    assert Notice.objects.filter(campaign=campaign).count() == 4
    assert set(
        Notice.objects.filter(campaign=campaign).values_list("person__segment", flat=True)
    ) == {"seller"}


def test_an_sms_campaign_goes_to_phone_numbers():
    program = ProgramFactory.create()
    population_make(program, 3)
    campaign = _building(program, channel="sms")
    campaign_build(campaign_id=campaign.pk)
    assert all(a.startswith("010-") for a in Notice.objects.values_list("to_address", flat=True))


def _build_queries(size: int) -> int:
    program = ProgramFactory.create()
    population_make(program, size)
    campaign = _building(program)
    with CaptureQueriesContext(connection) as queries:
        campaign_build(campaign_id=campaign.pk)
    assert Notice.objects.filter(campaign=campaign).count() == size
    return len(queries)


def test_building_is_set_based_the_queries_do_not_grow_with_the_population(settings):
    settings.NOTIFICATIONS_BUILD_CHUNK = 10_000_000  # one range whatever the ids
    assert _build_queries(10) == _build_queries(2_000)


def test_building_goes_range_by_range_and_a_rerun_adds_nothing(settings):
    settings.NOTIFICATIONS_BUILD_CHUNK = 7
    program = ProgramFactory.create()
    population_make(program, 40)
    campaign = _building(program)
    assert campaign_build(campaign_id=campaign.pk) is True
    campaign.refresh_from_db()
    assert campaign.build_cursor == campaign.build_upto
    assert campaign.notices_created == 40
    # A killed build re-run from the start: every range again, nothing new.
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.BUILDING, build_cursor=0, notices_created=0
    )
    campaign_build(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert Notice.objects.filter(campaign=campaign).count() == 40
    assert campaign.notices_created == 0


def test_a_build_out_of_time_stops_and_resumes_at_its_cursor(settings):
    settings.NOTIFICATIONS_BUILD_CHUNK = 5
    program = ProgramFactory.create()
    population_make(program, 20)
    campaign = _building(program)
    assert campaign_build(campaign_id=campaign.pk, time_budget_seconds=1e-9) is False
    assert campaign_build(campaign_id=campaign.pk) is True
    assert Notice.objects.filter(campaign=campaign).count() == 20


def test_a_scheduled_campaign_starts_when_due_and_queues_its_build(queued):
    campaign = campaign_create(
        name="Later",
        program=ProgramFactory.create(),
        kind="voucher_issued",
        channel="email",
        audience="population",
        context=VOUCHERS,
        actor=UserFactory.create(),
    )
    user = UserFactory.create()
    campaign_schedule(
        campaign=campaign, scheduled_for=timezone.now() + dt.timedelta(hours=1), actor=user
    )
    assert campaigns_start_due() == 0
    Campaign.objects.filter(pk=campaign.pk).update(scheduled_for=timezone.now())
    assert campaigns_start_due() == 1
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.BUILDING
    assert AuditEvent.objects.filter(action="campaign.schedule", actor=user).exists()
    assert AuditEvent.objects.filter(action="campaign.start").exists()


def test_a_campaign_runs_to_done_and_counts_its_progress(smtp_server):
    program = ProgramFactory.create()
    population_make(program, 12)
    AffectedPersonFactory.create(program=program, email="gone@bad.example")
    campaign = _building(program)
    campaign_build(campaign_id=campaign.pk)
    while notices_dispatch(channel="email", chunk_size=5):
        pass
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DONE
    assert (campaign.notices_created, campaign.sent_count, campaign.failed_count) == (13, 12, 1)
    assert smtp_server.total == 12
    assert smtp_server.duplicates() == 0
    assert AuditEvent.objects.filter(action="campaign.finish", object_id=str(campaign.pk)).exists()


def test_a_cancelled_campaign_sends_nothing_more(smtp_server):
    program = ProgramFactory.create()
    population_make(program, 6)
    campaign = _building(program)
    campaign_build(campaign_id=campaign.pk)
    campaign_cancel(campaign=campaign, actor=UserFactory.create())
    notices_dispatch(channel="email")
    assert smtp_server.total == 0
    assert set(Notice.objects.values_list("status", "last_error")) == {
        ("failed", "campaign cancelled")
    }
    with pytest.raises(NotificationError):
        campaign_cancel(campaign=campaign, actor=UserFactory.create())


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"context": {"voucher_total": "1"}}, "missing_context"),
        ({"audience": "segment"}, "audience_params"),
        ({"audience": "claims_in_limbo"}, "unknown_audience"),
    ],
)
def test_a_bad_campaign_is_refused_and_nothing_is_written(fields, code):
    values = {
        "name": "x",
        "program": ProgramFactory.create(),
        "kind": "voucher_issued",
        "channel": "email",
        "audience": "population",
        "context": VOUCHERS,
        "actor": UserFactory.create(),
        **fields,
    }
    with pytest.raises(NotificationError) as error:
        campaign_create(**values)
    assert error.value.code == code
    assert not Campaign.objects.exists()
    assert not AuditEvent.objects.filter(action="campaign.create").exists()


def test_notifications_never_imports_claims_or_vouchers():
    root = Path(__file__).resolve().parents[2] / "notifications"
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in {"claims", "vouchers"}, (path, name)
