"""Inquiries (issue 15): filed from /me/, the program page or by an agent; the queue with its
SLA clock; replies through the outbox with standard replies in the person's language; notes,
assignment, closing; messages about a claim; the dashboard's figures; permissions per role."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from claims.models import CannedResponse, ClaimEvent
from compensation.hashing import email_hash, phone_hash
from config.ratelimit import RateLimitUnavailable
from notifications.models import Notice
from oversight.inquiries import inquiries_figures
from support.crypto import contact_decrypt
from support.models import Inquiry, InquiryEntry
from support.services.inquiries import inquiry_file, inquiry_reply
from tests.claims.conftest import claimant_session, pdf
from tests.factories import CannedResponseFactory, ClaimFactory, UserFactory, published_policy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def program(desk_program):
    published_policy(desk_program)
    return desk_program


def ask_url(program) -> str:
    return reverse("support:inquiry_new", args=[program.slug])


def inquiry_make(program, *, person=None, language="ko", **fields) -> Inquiry:
    return inquiry_file(
        program=program,
        category=fields.pop("category", "voucher"),
        body=fields.pop("body", "상품권은 언제부터 쓸 수 있나요?"),
        language=language,
        contact_channel=fields.pop("contact_channel", "email"),
        contact=fields.pop("contact", person.email if person else "someone@example.com"),
        source=fields.pop("source", "signed_in" if person else "web"),
        person=person,
        **fields,
    )


def row_text(inquiry: Inquiry) -> str:
    """Every column of the inquiry's row as PostgreSQL prints it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT t::text FROM support_inquiry t WHERE id = %s", [inquiry.pk])
        return cursor.fetchone()[0]


# --- Filing -------------------------------------------------------------------------------------


def test_a_signed_in_claimant_asks_from_their_page_and_gets_a_reference(client, minji, program):
    claimant_session(client, person=minji, email=minji.email)
    me = client.get(reverse("claims:me")).content.decode()
    assert ask_url(program) in me

    response = client.post(
        ask_url(program),
        {"category": "voucher", "body": "When can I use my vouchers?", "document": pdf()},
        HTTP_ACCEPT_LANGUAGE="ko",
    )
    assert response.status_code == 302
    inquiry = Inquiry.objects.get()
    assert response["Location"] == reverse(
        "support:inquiry_sent", args=[program.slug, inquiry.reference]
    )
    assert inquiry.person == minji
    assert inquiry.source == Inquiry.Source.SIGNED_IN
    assert inquiry.status == Inquiry.Status.OPEN
    assert inquiry.reference.startswith("Q-")
    assert len(inquiry.reference) == 18
    assert inquiry.document_content_type == "application/pdf"
    assert inquiry.document_sha256
    assert inquiry.due_at > inquiry.created_at
    # The address: a keyed hash that matches the person's own, and encrypted; never plain.
    assert bytes(inquiry.contact_hash) == email_hash(minji.email)
    assert contact_decrypt(inquiry.contact_encrypted) == minji.email
    assert minji.email not in row_text(inquiry)
    assert AuditEvent.objects.filter(action="inquiry.file", object_id=str(inquiry.pk)).exists()

    sent = client.get(response["Location"]).content.decode()
    assert inquiry.reference in sent
    assert "mi•••@example.com" in sent


def test_the_program_page_offers_the_question_form(client, program):
    html = client.get(reverse("claims:program", args=[program.slug])).content.decode()
    assert ask_url(program) in html


def test_someone_who_cannot_sign_in_asks_with_a_phone_number(client, program):
    form = client.get(ask_url(program)).content.decode()
    assert 'name="contact"' in form  # not signed in: asked where to answer

    response = client.post(
        ask_url(program),
        {
            "category": "eligibility",
            "body": "Am I covered?",
            "contact_channel": "sms",
            "contact": "010-9876-5432",
        },
    )
    assert response.status_code == 302
    inquiry = Inquiry.objects.get()
    assert inquiry.person is None
    assert inquiry.source == Inquiry.Source.WEB
    assert inquiry.contact_channel == "sms"
    assert bytes(inquiry.contact_hash) == phone_hash("010-9876-5432")
    assert contact_decrypt(inquiry.contact_encrypted) == "+821098765432"
    assert inquiry.contact_masked == "•••5432"
    assert "98765432" not in row_text(inquiry)


def test_an_address_that_is_not_one_is_refused_and_nothing_is_stored(client, program):
    response = client.post(
        ask_url(program),
        {"category": "other", "body": "Hello", "contact_channel": "email", "contact": "nobody"},
    )
    assert response.status_code == 200
    assert "Give an email address or a phone number" in response.content.decode()
    assert not Inquiry.objects.exists()


def test_a_file_that_is_no_document_is_refused_with_its_name_and_nothing_is_stored(client, program):
    upload = SimpleUploadedFile("script.pdf", b"<html><script>x</script>", "application/pdf")
    response = client.post(
        ask_url(program),
        {
            "category": "other",
            "body": "See the file",
            "contact_channel": "email",
            "contact": "a@example.com",
            "document": upload,
        },
    )
    assert response.status_code == 200
    assert "script.pdf" in response.content.decode()
    assert not Inquiry.objects.exists()


def test_the_confirmation_is_shown_only_to_the_browser_that_sent_it(client, program):
    inquiry = inquiry_make(program)
    url = reverse("support:inquiry_sent", args=[program.slug, inquiry.reference])
    assert client.get(url).status_code == 404


def test_questions_past_the_contacts_limit_are_refused(client, program, settings):
    settings.SUPPORT_INQUIRY_LIMITS = {"network": (100, 3600), "contact": (2, 3600)}
    data = {
        "category": "other",
        "body": "?",
        "contact_channel": "email",
        "contact": "x@example.com",
    }
    assert [client.post(ask_url(program), data).status_code for _ in range(3)] == [302, 302, 200]
    assert Inquiry.objects.count() == 2


# --- The queue ----------------------------------------------------------------------------------


@pytest.fixture
def agent(staff_client):
    return staff_client("Support agent")


def queue_url() -> str:
    return reverse("admin:support_inquiry_changelist")


def page_url(inquiry: Inquiry) -> str:
    return reverse("admin:support_inquiry_page", args=[inquiry.pk])


def test_the_queue_shows_what_waits_with_its_sla_clock(agent, program, minji):
    overdue = inquiry_make(program, person=minji)
    Inquiry.objects.filter(pk=overdue.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=60),
        due_at=timezone.now() - dt.timedelta(hours=12),
    )
    fresh = inquiry_make(program, category="payment")
    closed = inquiry_make(program)
    Inquiry.objects.filter(pk=closed.pk).update(status="closed", closed_at=timezone.now())

    html = agent.get(queue_url()).content.decode()
    assert overdue.reference in html
    assert fresh.reference in html
    assert closed.reference not in html  # open ones by default
    assert "Overdue by 12 h" in html or "Overdue by 11 h" in html
    assert "A payment" in html  # the category in words
    assert closed.reference in agent.get(queue_url() + "?status=all").content.decode()


def test_a_standard_reply_in_korean_goes_out_through_the_outbox(agent, program, minji):
    inquiry = inquiry_make(program, person=minji, language="ko")
    CannedResponseFactory.create(
        code="voucher-start",
        language="ko",
        purpose="inquiry",
        title="상품권 사용 시작일",
        body="상품권은 1월 15일부터 모든 서비스에서 사용하실 수 있습니다.",
    )
    CannedResponseFactory.create(code="voucher-start-en", language="en", purpose="inquiry")
    CannedResponseFactory.create(code="receipt", language="ko", title="영수증 요청")  # info

    page = agent.get(page_url(inquiry)).content.decode()
    assert "상품권 사용 시작일" in page
    assert "영수증 요청" not in page  # a request-for-information reply is not offered here
    assert 'value="voucher-start-en"' not in page  # nor one in another language

    key = str(uuid.uuid4())
    data = {"canned": "voucher-start", "body": "", "submission_key": key}
    reply = reverse("admin:support_inquiry_reply", args=[inquiry.pk])
    assert agent.post(reply, data).status_code == 302
    assert agent.post(reply, data).status_code == 302  # a double submit sends nothing more

    notice = Notice.objects.get(kind="inquiry_reply")
    assert notice.language == "ko"
    assert notice.channel == "email"
    assert notice.to_address == minji.email
    assert notice.context == {
        "inquiry_reference": inquiry.reference,
        "reply_text": "상품권은 1월 15일부터 모든 서비스에서 사용하실 수 있습니다.",
    }
    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.ANSWERED
    assert inquiry.first_answered_at is not None
    entry = InquiryEntry.objects.get(inquiry=inquiry)
    assert entry.kind == "reply"
    assert entry.notice == notice
    assert entry.canned_code == "voucher-start"
    assert AuditEvent.objects.filter(action="inquiry.reply", object_id=str(inquiry.pk)).count() == 1


def test_a_reply_to_a_phone_number_goes_by_sms(program):
    inquiry = inquiry_make(program, contact_channel="sms", contact="010-1111-2222", language="en")
    agent = UserFactory.create(role="Support agent")
    inquiry_reply(inquiry=inquiry, body="Yes.", actor=agent, submission_key=uuid.uuid4())
    notice = Notice.objects.get(kind="inquiry_reply")
    assert (notice.channel, notice.to_address, notice.language) == ("sms", "+821011112222", "en")


def test_notes_stay_internal_and_assignment_and_closing_are_audited(agent, program, minji):
    inquiry = inquiry_make(program, person=minji)
    agent.post(reverse("admin:support_inquiry_note", args=[inquiry.pk]), {"note": "Called back"})
    agent.post(
        reverse("admin:support_inquiry_assign", args=[inquiry.pk]), {"assignee": agent.user.pk}
    )
    agent.post(reverse("admin:support_inquiry_close", args=[inquiry.pk]))
    inquiry.refresh_from_db()
    assert inquiry.assigned_to == agent.user
    assert inquiry.status == "closed"
    assert inquiry.closed_at is not None
    assert InquiryEntry.objects.get(inquiry=inquiry).kind == "note"
    assert not Notice.objects.filter(kind="inquiry_reply").exists()  # a note is never sent
    actions = set(
        AuditEvent.objects.filter(
            object_id=str(inquiry.pk), action__startswith="inquiry."
        ).values_list("action", flat=True)
    )
    assert actions == {"inquiry.file", "inquiry.note", "inquiry.assign", "inquiry.close"}
    # A closed inquiry takes no reply.
    response = agent.post(
        reverse("admin:support_inquiry_reply", args=[inquiry.pk]),
        {"body": "late", "submission_key": str(uuid.uuid4())},
        follow=True,
    )
    assert "This inquiry is closed." in response.content.decode()
    assert not Notice.objects.filter(kind="inquiry_reply").exists()


@pytest.mark.parametrize(
    ("role", "queue", "reply"),
    [
        ("Support agent", 200, 302),
        ("Senior reviewer", 200, 302),
        ("Program operator", 200, 302),
        ("Auditor", 200, 403),
        ("Outside expert", 403, 403),
        ("Payments officer", 403, 403),
    ],
)
def test_who_sees_the_queue_and_who_answers(staff_client, program, role, queue, reply):
    inquiry = inquiry_make(program)
    client = staff_client(role)
    assert client.get(queue_url()).status_code == queue
    response = client.post(
        reverse("admin:support_inquiry_reply", args=[inquiry.pk]),
        {"body": "Hello", "submission_key": str(uuid.uuid4())},
    )
    assert response.status_code == reply
    assert Notice.objects.filter(kind="inquiry_reply").exists() == (reply == 302)


# --- The person page and an inquiry opened for a caller ----------------------------------------


def test_the_person_page_lists_their_inquiries_and_opens_one_for_a_caller(agent, minji, program):
    earlier = inquiry_make(program, person=minji)
    page = agent.get(reverse("admin:support_person_page", args=[minji.pk])).content.decode()
    assert earlier.reference in page
    open_url = reverse("admin:support_inquiry_open", args=[minji.pk])
    assert open_url in page

    response = agent.post(
        open_url, {"category": "claim", "body": "Caller asks about C-123", "contact_channel": "sms"}
    )
    assert response.status_code == 302
    opened = Inquiry.objects.exclude(pk=earlier.pk).get()
    assert opened.source == "desk"
    assert opened.opened_by == agent.user
    assert opened.language == minji.language
    assert bytes(opened.contact_hash) == phone_hash(minji.phone)


# --- Writing to a claimant about a claim --------------------------------------------------------


def test_staff_write_to_a_claimant_about_their_claim_at_any_time(agent, minji, program):
    claim = ClaimFactory.create(program=program, person=minji, status="approved", language="ko")
    CannedResponseFactory.create(
        code="paid-soon", language="ko", purpose="message", title="지급 예정", body="곧 지급됩니다."
    )
    case = agent.get(reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()
    url = reverse("admin:support_claim_message", args=[claim.pk])
    assert url in case
    page = agent.get(url).content.decode()
    assert "지급 예정" in page

    key = str(uuid.uuid4())
    response = agent.post(url, {"canned": "", "text": "곧 지급됩니다.", "submission_key": key})
    assert response.status_code == 302
    agent.post(url, {"canned": "", "text": "곧 지급됩니다.", "submission_key": key})
    notice = Notice.objects.get(kind="claim_message")
    assert notice.language == "ko"
    assert notice.to_address == minji.email
    assert notice.context["message_text"] == "곧 지급됩니다."
    assert notice.context["claim_url"].endswith(f"/claims/{claim.reference}/")
    event = ClaimEvent.objects.get(claim=claim, kind="message")
    assert not event.internal
    assert AuditEvent.objects.filter(action="claim.message", object_id=str(claim.pk)).count() == 1


def test_an_outside_expert_cannot_write_to_a_claimant(staff_client, minji, program):
    claim = ClaimFactory.create(program=program, person=minji)
    expert = staff_client("Outside expert")
    url = reverse("admin:support_claim_message", args=[claim.pk])
    assert expert.post(url, {"text": "Hi", "submission_key": str(uuid.uuid4())}).status_code == 403
    assert not Notice.objects.exists()


def test_the_case_page_offers_only_information_request_replies(agent, minji, program):
    claim = ClaimFactory.create(program=program, person=minji, status="in_review", language="ko")
    CannedResponseFactory.create(code="ask-receipt", language="ko", title="영수증 요청")
    CannedResponseFactory.create(
        code="answer-vouchers", language="ko", purpose="inquiry", title="상품권 안내"
    )
    case = agent.get(reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()
    assert "영수증 요청" in case
    assert "상품권 안내" not in case
    assert CannedResponse.objects.filter(code="ask-receipt").get().purpose == "info_request"


# --- The dashboard ------------------------------------------------------------------------------


def test_the_dashboard_counts_inquiries_overdue_and_time_to_first_answer(
    staff_client, program, minji
):
    now = timezone.now()
    agent = UserFactory.create(role="Support agent")
    overdue = inquiry_make(program)
    late = inquiry_make(program)
    in_time = inquiry_make(program)
    inquiry_make(program)  # open, not yet due
    Inquiry.objects.filter(pk__in=[overdue.pk, late.pk, in_time.pk]).update(
        created_at=now - dt.timedelta(hours=72), due_at=now - dt.timedelta(hours=24)
    )
    for inquiry, hours in ((late, 60), (in_time, 12)):
        inquiry_reply(inquiry=inquiry, body="ok", actor=agent, submission_key=uuid.uuid4())
        Inquiry.objects.filter(pk=inquiry.pk).update(
            first_answered_at=now - dt.timedelta(hours=72 - hours)
        )

    figures = inquiries_figures(program)
    assert figures["total"] == 4
    assert figures["waiting"] == 2
    assert figures["overdue"] == 1
    assert figures["answered"] == 2
    assert figures["answered_late"] == 1
    assert figures["median_hours"] == pytest.approx(36, abs=0.01)

    operator = staff_client("Program operator")
    html = operator.get(
        reverse("admin:oversight_programdashboard_change", args=[program.pk])
    ).content.decode()
    assert 'id="inquiries-overdue">1<' in html


def test_without_its_limits_the_form_says_to_try_again_and_takes_nothing(
    client, program, monkeypatch
):
    def unavailable(**kwargs):
        raise RateLimitUnavailable("ConnectionError")

    monkeypatch.setattr("support.views.inquiry_rate_take", unavailable)
    data = {
        "category": "other",
        "body": "?",
        "contact_channel": "email",
        "contact": "x@example.com",
    }
    response = client.post(ask_url(program), data)
    assert response.status_code == 503
    assert not Inquiry.objects.exists()


def test_the_document_is_served_to_staff_who_see_the_queue_only(
    client, staff_client, program, minji
):
    inquiry = inquiry_make(program, person=minji, upload=pdf())
    url = reverse("admin:support_inquiry_document", args=[inquiry.pk])
    assert client.get(url).status_code == 302  # to the staff sign-in
    response = staff_client("Support agent").get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert staff_client("Payments officer").get(url).status_code == 403
