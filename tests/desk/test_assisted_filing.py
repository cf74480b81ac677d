"""Assisted filing: an agent files a claim for a caller from the person's page, with the
documents the caller sent, through claims' own intake; the claimant is acknowledged as if
they had filed it; the claim records the channel and the agent, who cannot approve it."""

import os
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from claims.errors import ClaimError
from claims.models import Claim, ClaimDocument, ClaimEvent
from claims.services import claim_approve, claim_file_assisted
from compensation.models import ClaimType
from demo.documents import PDF
from notifications.models import Notice
from tests.factories import ClaimTypeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def time_spent(desk_program):
    return ClaimTypeFactory.create(
        program=desk_program,
        code="time-spent",
        calculation=ClaimType.Calculation.TIME_SPENT,
        hourly_rate_minor=20_000,
        max_hours_documented=Decimal("10"),
        max_hours_undocumented=Decimal("10"),
        cap_per_claim_minor=None,
        required_documents=["time_log"],
        title={"en": "Time spent", "ko": "소요 시간", "zh-hans": "花费的时间"},
    )


@pytest.fixture
def agent(db):
    return UserFactory.create(role="Support agent")


def pdf(name="log.pdf"):
    return SimpleUploadedFile(name, PDF + os.urandom(8), content_type="application/pdf")


def file_for(person, claim_type, agent, *, key="desk-key-1", documents=None, hours="3"):
    return claim_file_assisted(
        person=person,
        claim_type=claim_type,
        agent=agent,
        channel=Claim.Channel.PHONE,
        idempotency_key=key,
        documents=[("time_log", pdf())] if documents is None else documents,
        hours_claimed=Decimal(hours),
        statement="Called the bank twice about the leaked card.",
        ip_address="198.51.100.4",
    )


def test_an_agent_files_for_a_caller_and_the_claimant_is_acknowledged(minji, time_spent, agent):
    claim, created = file_for(minji, time_spent, agent)
    assert created
    claim.refresh_from_db()
    assert (claim.channel, claim.filed_by_id, claim.person_id) == ("phone", agent.pk, minji.pk)
    assert claim.claimant_email_hash == bytes(minji.email_hash)
    assert claim.language == minji.language
    assert claim.network_hash is None  # the agent's office is not the claimant's network
    assert claim.hours_claimed == Decimal("3")
    document = ClaimDocument.objects.get(claim=claim)
    assert document.kind == "time_log"
    assert document.content_type == "application/pdf"
    event = ClaimEvent.objects.get(claim=claim)
    assert (event.kind, event.note, event.actor_label) == (
        "filed_for_claimant",
        "phone",
        f"user:{agent.pk}",
    )
    audit = AuditEvent.objects.get(action="claim.submit", object_id=str(claim.pk))
    assert audit.actor_id == agent.pk
    assert audit.after is not None
    assert audit.after["channel"] == "phone"
    ack = Notice.objects.get(kind="claim_acknowledged", person=minji)
    assert ack.to_address == minji.email
    assert ack.language == minji.language
    assert ack.context["claim_reference"] == claim.reference


def test_the_same_form_posted_twice_files_once(minji, time_spent, agent):
    first, created = file_for(minji, time_spent, agent)
    again, created_again = file_for(minji, time_spent, agent)
    assert created
    assert not created_again
    assert again.pk == first.pk
    assert Claim.objects.count() == 1
    assert Notice.objects.filter(kind="claim_acknowledged").count() == 1


def test_a_refused_file_keeps_nothing(minji, time_spent, agent):
    fake = SimpleUploadedFile("log.pdf", b"MZ not a pdf", content_type="application/pdf")
    with pytest.raises(ClaimError):
        file_for(minji, time_spent, agent, documents=[("time_log", pdf()), ("other", fake)])
    assert Claim.objects.count() == 0
    assert ClaimDocument.objects.count() == 0
    assert Notice.objects.count() == 0


def test_the_person_limit_holds_for_assisted_claims(minji, time_spent, agent):
    file_for(minji, time_spent, agent)
    with pytest.raises(ClaimError) as exc:
        file_for(minji, time_spent, agent, key="desk-key-2")
    assert exc.value.code == "already_filed"
    assert Claim.objects.count() == 1
    assert ClaimDocument.objects.filter(claim__isnull=True).count() == 0


def test_only_staff_allowed_to_file_may(minji, time_spent):
    operator = UserFactory.create(role="Program operator")
    auditor = UserFactory.create(role="Auditor")
    for user in (operator, auditor):
        with pytest.raises(ClaimError) as exc:
            file_for(minji, time_spent, user)
        assert exc.value.code == "forbidden"
    assert Claim.objects.count() == 0


def test_an_assisted_claim_needs_an_agent_channel(minji, time_spent, agent):
    with pytest.raises(ClaimError) as exc:
        claim_file_assisted(
            person=minji,
            claim_type=time_spent,
            agent=agent,
            channel=Claim.Channel.ONLINE,
            idempotency_key="k",
            documents=[],
            hours_claimed=Decimal("1"),
        )
    assert exc.value.code == "channel"


def test_the_database_refuses_an_assisted_claim_without_its_agent(minji, time_spent, agent):
    claim, _ = file_for(minji, time_spent, agent)
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(filed_by=None)


def test_the_filing_agent_cannot_approve_but_another_agent_can(minji, time_spent, agent):
    claim, _ = file_for(minji, time_spent, agent)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED  # no published policy: a person decides
    with pytest.raises(ClaimError) as exc:
        claim_approve(claim=claim, amount_minor=60_000, actor=agent)
    assert exc.value.code == "filed_by_actor"
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED
    assert claim.award_id is None
    other = UserFactory.create(role="Support agent")
    approved = claim_approve(claim=claim, amount_minor=60_000, actor=other)
    assert approved.status == Claim.Status.APPROVED
    assert approved.decided_by_id == other.pk


def test_the_filing_agent_cannot_be_the_second_approver_either(minji, time_spent, settings):
    settings.CLAIMS_SECOND_APPROVER_MINOR = 10_000
    senior = UserFactory.create(role="Senior reviewer")
    claim, _ = file_for(minji, time_spent, senior)
    first = UserFactory.create(role="Senior reviewer")
    claim = claim_approve(claim=claim, amount_minor=60_000, actor=first)
    assert claim.status == Claim.Status.PENDING_APPROVAL
    with pytest.raises(ClaimError) as exc:
        claim_approve(claim=claim, amount_minor=60_000, actor=senior)
    assert exc.value.code == "filed_by_actor"
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PENDING_APPROVAL


def test_the_desk_files_from_the_persons_page(staff_client, minji, time_spent):
    client = staff_client("Support agent")
    page = client.get(reverse("admin:support_person_page", args=[minji.pk]))
    choose = reverse("admin:support_person_file", args=[minji.pk])
    assert choose in page.content.decode()
    types = client.get(choose)
    form_url = reverse("admin:support_person_file_claim", args=[minji.pk, "time-spent"])
    assert form_url in types.content.decode()
    form = client.get(form_url)
    assert form.status_code == 200
    key = form.context["form"].fields["key"].initial
    response = client.post(
        form_url,
        {
            "channel": "phone",
            "key": key,
            "hours": "2.5",
            "statement": "",
            "doc_time_log": pdf(),
        },
    )
    assert response.status_code == 302
    claim = Claim.objects.get()
    assert (claim.channel, claim.filed_by_id, claim.hours_claimed) == (
        "phone",
        client.user.pk,
        Decimal("2.5"),
    )
    assert claim.documents.count() == 1
    shown = client.get(response["Location"]).content.decode()
    assert claim.reference in shown


def test_the_desk_shows_what_was_wrong(staff_client, minji, time_spent):
    client = staff_client("Support agent")
    form_url = reverse("admin:support_person_file_claim", args=[minji.pk, "time-spent"])
    response = client.post(form_url, {"channel": "phone", "key": "k" * 20, "hours": ""})
    assert response.status_code == 200
    assert "hours" in response.context["form"].errors
    assert Claim.objects.count() == 0


def test_filing_pages_need_the_permission(staff_client, minji, time_spent):
    client = staff_client("Auditor")
    assert client.get(reverse("admin:support_person_file", args=[minji.pk])).status_code == 403
    page = client.get(reverse("admin:support_person_page", args=[minji.pk])).content.decode()
    assert reverse("admin:support_person_file", args=[minji.pk]) not in page


def test_the_engine_screens_an_assisted_claim_but_a_person_approves_it(minji, time_spent, agent):
    from tests.factories import published_policy

    published_policy(time_spent.program)
    claim, _ = file_for(minji, time_spent, agent, hours="1")
    claim.refresh_from_db()
    assert claim.screening_outcome == "approve"  # the engine would have approved it online
    assert claim.status == Claim.Status.SUBMITTED
    assert claim.award_id is None
    assert claim.score is not None
