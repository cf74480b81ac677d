import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import AUDITOR, PROGRAM_OPERATOR, SENIOR_REVIEWER, SUPPORT_AGENT
from audit.models import AuditEvent
from notifications.models import Campaign, Notice, NoticeTemplate
from tests.factories import ProgramFactory
from tests.notifications.factories import NoticeFactory, population_make

pytestmark = pytest.mark.django_db


def _template(language: str = "en", kind: str = "decision") -> NoticeTemplate:
    return NoticeTemplate.objects.get(kind=kind, channel="email", language=language)


def _template_url(template) -> str:
    return reverse("admin:notifications_noticetemplate_change", args=[template.pk])


def test_an_operator_sees_a_preview_with_sample_data(staff_client):
    client = staff_client(PROGRAM_OPERATOR)
    page = client.get(_template_url(_template())).content.decode()
    assert "7Q2M-9KXD-4TGB-H1ZP" in page
    assert "Approved: ₩30,000" in page
    assert "{{ decision_summary }}" in page  # the variables this kind provides


@pytest.mark.parametrize(
    ("language", "amount", "day"),
    [
        ("ko", "50,000원", "2026년 1월 15일"),
        ("en", "₩50,000", "15 January 2026"),
        ("zh-hans", "₩50,000", "2026年1月15日"),
    ],
)
def test_a_templates_preview_writes_money_and_dates_as_its_readers_do(
    staff_client, language, amount, day
):
    client = staff_client(PROGRAM_OPERATOR)
    page = client.get(_template_url(_template(language, "voucher_issued"))).content.decode()
    assert amount in page
    assert day in page
    assert "KRW" not in page.split('class="notice-preview"')[1].split("</div>")[0]


def test_a_template_with_an_unknown_variable_is_not_saved_nor_audited(staff_client):
    template = _template()
    client = staff_client(PROGRAM_OPERATOR)
    response = client.post(
        _template_url(template),
        {"subject": "Decision", "body": "{{ reference }} {{ verify_url }} {{ decison }}"},
    )
    assert response.status_code == 200
    assert "decison" in response.content.decode()
    assert NoticeTemplate.objects.get(pk=template.pk).body == template.body
    assert not AuditEvent.objects.filter(action="noticetemplate.change").exists()


def test_a_good_template_edit_is_saved_and_audited(staff_client):
    template = _template()
    client = staff_client(PROGRAM_OPERATOR)
    body = (
        "Decision on {{ claim_reference }}: {{ decision_summary }}. "
        "{{ verify_url }} {{ reference }}"
    )
    response = client.post(_template_url(template), {"subject": "Decision", "body": body})
    assert response.status_code == 302
    assert NoticeTemplate.objects.get(pk=template.pk).body == body
    event = AuditEvent.objects.get(action="noticetemplate.change")
    assert event.before is not None
    assert event.actor == client.user
    assert event.before["body"] == template.body


def test_an_operator_creates_and_schedules_a_campaign_through_the_services(staff_client, queued):
    program = ProgramFactory.create()
    population_make(program, 5)
    client = staff_client(PROGRAM_OPERATOR)
    now = timezone.localtime()
    response = client.post(
        reverse("admin:notifications_campaign_add"),
        {
            "name": "Vouchers issued",
            "program": program.pk,
            "kind": "voucher_issued",
            "channel": "email",
            "audience": "population",
            "segment": "",
            "context": '{"voucher_total": "₩50,000", "valid_from": "2026-01-15"}',
            "scheduled_for_0": now.strftime("%Y-%m-%d"),
            "scheduled_for_1": now.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    campaign = Campaign.objects.get()
    assert campaign.status == Campaign.Status.SCHEDULED
    assert {"campaign.create", "campaign.schedule"} <= set(
        AuditEvent.objects.values_list("action", flat=True)
    )
    page = client.get(reverse("admin:notifications_campaign_change", args=[campaign.pk]))
    assert page.status_code == 200
    assert "Progress" in page.content.decode()


def test_a_campaign_without_its_template_values_is_refused(staff_client):
    client = staff_client(PROGRAM_OPERATOR)
    response = client.post(
        reverse("admin:notifications_campaign_add"),
        {
            "name": "x",
            "program": ProgramFactory.create().pk,
            "kind": "voucher_issued",
            "channel": "email",
            "audience": "population",
            "context": "{}",
        },
    )
    assert response.status_code == 200
    assert "voucher_total" in response.content.decode()
    assert not Campaign.objects.exists()


@pytest.mark.parametrize("role", [SUPPORT_AGENT, SENIOR_REVIEWER, AUDITOR, PROGRAM_OPERATOR])
def test_staff_find_a_notice_by_the_reference_printed_in_it(staff_client, role):
    notice = NoticeFactory.create(status=Notice.Status.SENT, sent_at=timezone.now(), attempts=1)
    NoticeFactory.create()
    client = staff_client(role)
    url = reverse("admin:notifications_notice_changelist")
    page = client.get(url, {"q": notice.reference_display.lower()}).content.decode()
    assert notice.reference_display in page
    assert "1 result" in page
    detail = client.get(reverse("admin:notifications_notice_change", args=[notice.pk]))
    text = detail.content.decode()
    assert detail.status_code == 200
    assert notice.to_address not in text
    assert 'name="_save"' not in text  # read-only for everyone


@pytest.mark.parametrize(
    ("role", "status"),
    [(SUPPORT_AGENT, 403), (AUDITOR, 403), (PROGRAM_OPERATOR, 302)],
)
def test_only_operators_change_templates(staff_client, role, status):
    template = _template()
    client = staff_client(role)
    response = client.post(
        _template_url(template), {"subject": template.subject, "body": template.body}
    )
    assert response.status_code == status


def test_an_agent_cannot_see_campaigns_or_retry_notices(staff_client):
    client = staff_client(SUPPORT_AGENT)
    assert client.get(reverse("admin:notifications_campaign_changelist")).status_code == 403
    assert not client.user.has_perm("notifications.retry_notice")


def test_an_operator_retries_failed_notices_from_the_list(staff_client, queued):
    failed = NoticeFactory.create(status=Notice.Status.FAILED, attempts=8, last_error="550")
    client = staff_client(PROGRAM_OPERATOR)
    response = client.post(
        reverse("admin:notifications_notice_changelist"),
        {"action": "retry", "_selected_action": [failed.pk]},
    )
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == Notice.Status.PENDING
    assert AuditEvent.objects.get(action="notice.retry").actor == client.user
