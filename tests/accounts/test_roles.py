import pytest
from django.urls import reverse

from accounts.roles import AUDITOR, PROGRAM_OPERATOR, SENIOR_REVIEWER, SUPPORT_AGENT

pytestmark = pytest.mark.django_db


def _incident_form() -> dict:
    return {
        "title": "Leak",
        "summary": "Data was read.",
        "detected_at_0": "2026-01-01",
        "detected_at_1": "09:00:00",
        "severity": "2",
        "estimated_affected": "10",
        "data_categories": "",
        "jurisdictions": "KR",
        "regulator_notices-TOTAL_FORMS": "0",
        "regulator_notices-INITIAL_FORMS": "0",
    }


@pytest.mark.parametrize(
    ("role", "allowed_url", "forbidden_url"),
    [
        (SUPPORT_AGENT, "admin:claims_claim_changelist", "admin:compensation_program_add"),
        (SENIOR_REVIEWER, "admin:claims_claim_changelist", "admin:audit_auditevent_changelist"),
        (PROGRAM_OPERATOR, "admin:compensation_incident_add", "admin:accounts_user_changelist"),
        (AUDITOR, "admin:audit_auditevent_changelist", "admin:compensation_incident_add"),
    ],
)
def test_each_role_reaches_what_it_needs_and_nothing_more(
    staff_client, role, allowed_url, forbidden_url
):
    client = staff_client(role)
    assert client.get(reverse(allowed_url)).status_code == 200
    assert client.get(reverse(forbidden_url)).status_code == 403


def test_operator_creates_an_incident_and_it_is_audited(staff_client):
    from audit.models import AuditEvent
    from compensation.models import Incident

    client = staff_client(PROGRAM_OPERATOR)
    response = client.post(reverse("admin:compensation_incident_add"), _incident_form())
    assert response.status_code == 302, response.content[:2000]
    incident = Incident.objects.get(title="Leak")
    event = AuditEvent.objects.get(action="incident.create")
    assert event.object_id == str(incident.pk)
    assert event.actor == client.user
    assert event.after is not None
    assert event.after["title"] == "Leak"


def test_auditor_cannot_post_a_change(staff_client):
    from compensation.models import Incident

    client = staff_client(AUDITOR)
    response = client.post(reverse("admin:compensation_incident_add"), _incident_form())
    assert response.status_code == 403
    assert not Incident.objects.exists()


def test_senior_reviewer_may_decide_high_value_claims_and_agent_may_not(staff_client, client):
    reviewer = staff_client(SENIOR_REVIEWER).user
    assert reviewer.has_perm("claims.decide_high_value")
    client.logout()
    agent = staff_client(SUPPORT_AGENT).user
    assert not agent.has_perm("claims.decide_high_value")
