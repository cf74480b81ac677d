"""A question sent from the site is acknowledged (issue 15): the confirmation page names the
inquiry's reference and what happens next (the answer by the SLA's time), and a notice goes
through the outbox in the person's language, by email, or by SMS to a phone-only inquirer,
carrying the inquiry's reference and its own, which /verify/ confirms."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from claims.notices import local_when
from notifications.channels import sms
from notifications.models import Notice
from notifications.services import notices_dispatch
from support.models import Inquiry
from support.services.inquiries import inquiry_file
from tests.claims.conftest import claimant_session
from tests.factories import UserFactory, published_policy
from tests.support import notice_templates_seed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def program(desk_program):
    published_policy(desk_program)
    notice_templates_seed()
    return desk_program


@pytest.fixture
def sms_outbox(settings):
    settings.SMS_BACKEND = "locmem"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def ask(client, program, language: str, **data):
    return client.post(
        reverse("support:inquiry_new", args=[program.slug]),
        {"category": "voucher", "body": "상품권은 언제부터 쓸 수 있나요?", **data},
        HTTP_ACCEPT_LANGUAGE=language,
    )


def test_a_question_from_me_is_acknowledged_by_email_in_korean(client, minji, program, settings):
    claimant_session(client, person=minji, email=minji.email)
    response = ask(client, program, "ko")
    assert response.status_code == 302
    inquiry = Inquiry.objects.get()

    notice = Notice.objects.get(kind="inquiry_received")
    assert (notice.channel, notice.to_address, notice.language) == ("email", minji.email, "ko")
    assert (notice.person, notice.program) == (minji, program)
    assert notice.context["inquiry_reference"] == inquiry.reference
    assert notice.context["answer_by"] == local_when(inquiry.due_at, "ko", with_time=True)
    assert "년" in notice.context["answer_by"]  # the moment as a Korean reader writes it

    # The confirmation: the reference, the answer's time, the acknowledgement's reference.
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert inquiry.reference in page
    assert notice.reference_display in page
    assert reverse("claims:verify") in page
    assert f"{settings.SUPPORT_INQUIRY_SLA_HOURS}시간" in page
    assert "mi•••@example.com" in page

    # Sent through the outbox: in Korean, with both references; then /verify/ knows it.
    assert not client.post(reverse("claims:verify"), {"reference": notice.reference}).context[
        "result"
    ]
    assert notices_dispatch(channel="email") == 1
    (message,) = mail.outbox
    assert message.to == [minji.email]
    assert inquiry.reference in message.subject
    assert "접수" in message.subject
    assert inquiry.reference in message.body
    assert notice.reference_display in message.body
    assert notice.context["answer_by"] in message.body
    verified = client.post(reverse("claims:verify"), {"reference": notice.reference_display})
    assert verified.context["result"] is True


def test_a_phone_only_inquirer_is_acknowledged_by_sms_in_their_language(
    client, program, sms_outbox
):
    response = ask(
        client, program, "zh-hans", contact_channel="sms", contact="010-9876-5432", category="other"
    )
    assert response.status_code == 302
    inquiry = Inquiry.objects.get()
    notice = Notice.objects.get(kind="inquiry_received")
    assert (notice.channel, notice.to_address, notice.language) == (
        "sms",
        "+821098765432",
        "zh-hans",
    )
    assert notice.person is None

    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert inquiry.reference in page
    assert notice.reference_display in page
    assert "•••5432" in page

    assert notices_dispatch(channel="sms") == 1
    (message,) = sms_outbox
    assert message.to_address == "+821098765432"
    assert inquiry.reference in message.body
    assert notice.reference_display in message.body
    assert "咨询" in message.body


def test_a_question_an_agent_opens_for_a_caller_sends_no_acknowledgement(minji, program):
    agent = UserFactory.create(role="Support agent")
    inquiry_file(
        program=program,
        category="voucher",
        body="전화 문의",
        language="ko",
        contact_channel="email",
        contact=minji.email,
        source=Inquiry.Source.DESK,
        person=minji,
        opened_by=agent,
    )
    assert Inquiry.objects.count() == 1
    assert not Notice.objects.exists()


def test_a_refused_question_sends_no_acknowledgement(client, program):
    response = ask(client, program, "ko", contact_channel="email", contact="nobody")
    assert response.status_code == 200
    assert not Inquiry.objects.exists()
    assert not Notice.objects.exists()
