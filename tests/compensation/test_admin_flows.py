"""What an operator does in the admin: upload a population, read the reject report, draft a
policy, dry-run it, publish it, see the forecast."""

import json

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.roles import AUDITOR, PROGRAM_OPERATOR, SUPPORT_AGENT
from audit.models import AuditEvent, Proposal
from compensation.models import AffectedPerson, DryRun, PolicyVersion, PopulationImport
from compensation.services.policy import dry_run_execute
from compensation.services.population_import import population_import_run
from tests.conftest import otp_login
from tests.factories import AwardLineFactory, ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db

CSV = (
    "external_id,name,email,phone,language,region,segment,data_categories\n"
    "A1,Kim,a1@example.com,,ko,seoul,member,email\n"
    "A2,Lee,not-an-email,,ko,seoul,member,email\n"
)


@pytest.fixture
def program():
    program = ProgramFactory.create(budget_minor=10_000_000)
    AwardLineFactory.create(program=program, code="store", amount_minor=5_000)
    return program


@pytest.fixture
def on_commit_now(django_capture_on_commit_callbacks):
    """Run the on-commit enqueue in-process instead of sending it to a broker."""
    return django_capture_on_commit_callbacks


@pytest.fixture
def queued(monkeypatch):
    """What would have been put on the broker: (task name, kwargs)."""
    calls: list[tuple[str, dict]] = []

    def record(task_name: str, kwargs: dict, **options) -> bool:
        calls.append((task_name, kwargs))
        return True

    monkeypatch.setattr("config.queueing.task_send", record)
    return calls


def test_operator_uploads_a_population_and_downloads_the_reject_report(
    staff_client, program, settings, tmp_path, on_commit_now, queued
):
    settings.IMPORT_ROOT = tmp_path
    client = staff_client(PROGRAM_OPERATOR)
    with on_commit_now(execute=True):
        response = client.post(
            reverse("admin:compensation_populationimport_add"),
            {
                "program": program.pk,
                "file": SimpleUploadedFile("people.csv", CSV.encode()),
            },
        )
    assert response.status_code == 302
    population_import = PopulationImport.objects.get()
    assert queued == [("compensation.population_import_run", {"import_id": population_import.pk})]
    assert (tmp_path / population_import.source_path).is_file()  # in the population storage
    assert "people.csv" not in population_import.source_path  # a server-made name
    population_import_run(import_id=population_import.pk)
    assert AffectedPerson.objects.filter(program=program).count() == 1

    page = client.get(
        reverse("admin:compensation_populationimport_change", args=[population_import.pk])
    )
    assert "Download the 1 rejected rows" in page.text
    report = client.get(
        reverse("admin:compensation_populationimport_rejects", args=[population_import.pk])
    )
    body = b"".join(report.streaming_content).decode()
    assert body.splitlines() == ["line,column,problem", "3,email,is not an email address"]
    assert report["Content-Disposition"].startswith("attachment")
    assert AuditEvent.objects.filter(action="population_import.rejects_export").exists()


def test_a_file_with_the_wrong_header_gets_a_form_error_and_nothing_is_stored(
    staff_client, program, settings, tmp_path
):
    settings.IMPORT_ROOT = tmp_path
    client = staff_client(PROGRAM_OPERATOR)
    response = client.post(
        reverse("admin:compensation_populationimport_add"),
        {
            "program": program.pk,
            "file": SimpleUploadedFile("x.csv", b"id,mail\n1,a@b.c\n"),
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["file"]
    assert "missing column(s): external_id" in errors[0]
    assert not PopulationImport.objects.exists()
    assert not list(tmp_path.iterdir())


def test_support_agent_cannot_upload_a_population(staff_client, program):
    client = staff_client(SUPPORT_AGENT)
    response = client.post(
        reverse("admin:compensation_populationimport_add"),
        {
            "program": program.pk,
            "file": SimpleUploadedFile("people.csv", CSV.encode()),
        },
    )
    assert response.status_code == 403
    assert not PopulationImport.objects.exists()


def test_operator_drafts_dry_runs_and_publishes_a_policy(
    staff_client, program, on_commit_now, queued
):
    client = staff_client(PROGRAM_OPERATOR)
    bad = client.post(
        reverse("admin:compensation_policyversion_add"),
        {
            "program": program.pk,
            "rules": json.dumps({"proactive": {"award_lines": ["spa"]}}),
        },
    )
    assert bad.status_code == 200
    assert "no such award line(s) in this program: spa" in str(
        bad.context["adminform"].form.errors["rules"]
    )
    assert not PolicyVersion.objects.exists()

    response = client.post(
        reverse("admin:compensation_policyversion_add"),
        {
            "program": program.pk,
            "rules": json.dumps({"proactive": {"award_lines": ["store"]}}),
            "notes": "first",
        },
    )
    assert response.status_code == 302
    policy = PolicyVersion.objects.get()
    assert policy.created_by == client.user
    assert policy.number == 1
    # The admin's own message names the version the service numbered.
    assert f"{program} policy v1" in " ".join(map(str, get_messages(response.wsgi_request)))

    with on_commit_now(execute=True):
        client.post(reverse("admin:compensation_policyversion_dry_run", args=[policy.pk]))
    [(task_name, kwargs)] = queued
    assert task_name == "compensation.dry_run_execute"
    dry_run_execute(**kwargs)
    page = client.get(reverse("admin:compensation_policyversion_change", args=[policy.pk]))
    assert "within the budget" in page.text

    confirm = client.get(reverse("admin:compensation_policyversion_publish", args=[policy.pk]))
    assert confirm.status_code == 200
    assert "Propose publishing version 1" in confirm.text
    # Four eyes: publishing is proposed here and approved by another operator.
    proposed = client.post(reverse("admin:compensation_policyversion_publish", args=[policy.pk]))
    proposal = Proposal.objects.get()
    assert proposed["Location"] == reverse("admin:audit_proposal_change", args=[proposal.pk])
    policy.refresh_from_db()
    assert policy.status == PolicyVersion.Status.DRAFT
    second = otp_login(Client(), UserFactory.create(role=PROGRAM_OPERATOR))
    second.post(reverse("admin:audit_proposal_approve", args=[proposal.pk]))
    policy.refresh_from_db()
    assert policy.status == PolicyVersion.Status.PUBLISHED
    assert policy.published_by != client.user

    forecast = client.get(reverse("admin:compensation_program_change", args=[program.pk]))
    assert "Cost forecast against the budget" in forecast.text
    assert DryRun.objects.get().status == DryRun.Status.DONE


def test_auditor_can_read_a_policy_but_not_publish_it(staff_client, program):
    from compensation.services.policy import policy_draft_create

    policy = policy_draft_create(program=program, rules={}, actor_label="test")
    client = staff_client(AUDITOR)
    assert (
        client.get(reverse("admin:compensation_policyversion_change", args=[policy.pk])).status_code
        == 200
    )
    assert (
        client.post(
            reverse("admin:compensation_policyversion_publish", args=[policy.pk])
        ).status_code
        == 403
    )
    policy.refresh_from_db()
    assert policy.status == PolicyVersion.Status.DRAFT
