"""A question sent from /me/ is acknowledged, then answered with a standard reply in Korean;
the acknowledgement (with the question's reference) and the reply arrive by email through a
real Celery worker and a real SMTP server."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import cache
from django.urls import reverse

from notifications.models import Notice
from support.models import Inquiry
from tests.claims.conftest import claimant_session
from tests.desk.conftest import person_make
from tests.factories import CannedResponseFactory, ProgramFactory, published_policy
from tests.notifications.smtp import SmtpServer
from tests.notifications.workers import Workers, wait_for
from tests.support import notice_templates_seed

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ANSWER = "상품권은 1월 15일부터 모든 서비스에서 사용하실 수 있습니다."


@pytest.fixture(autouse=True)
def _isolated():
    """Unlike the desk's other tests, the dispatch after commit goes to the real broker."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def workers(tmp_path, smtp, settings):
    pool = Workers(tmp_path, smtp_port=smtp.port)
    settings.NOTIFICATIONS_QUEUE = pool.queue
    yield pool
    pool.stop_all()


def test_a_canned_reply_in_korean_reaches_the_person_by_email(
    client, staff_client, workers, smtp, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    notice_templates_seed()
    program = ProgramFactory.create(name="계정 정보 유출 보상")
    published_policy(program)
    minji = person_make(program, name="김민지", email="minji.kim@example.com", language="ko")
    CannedResponseFactory.create(
        code="voucher-start", language="ko", purpose="inquiry", title="상품권 사용", body=ANSWER
    )
    workers.start("sender")

    # The person asks from their page, in Korean.
    claimant_session(client, person=minji, email=minji.email)
    response = client.post(
        reverse("support:inquiry_new", args=[program.slug]),
        {"category": "voucher", "body": "상품권은 언제부터 쓸 수 있나요?"},
        HTTP_ACCEPT_LANGUAGE="ko",
    )
    assert response.status_code == 302
    inquiry = Inquiry.objects.get()
    assert inquiry.language == "ko"

    # The acknowledgement goes out at once, with the question's reference and its own.
    received = Notice.objects.get(kind="inquiry_received")
    wait_for(
        lambda: Notice.objects.filter(pk=received.pk, status=Notice.Status.SENT).exists(),
        timeout=60,
        workers=workers,
        what="the acknowledgement sent",
    )
    (acknowledgement,) = smtp.handler.messages
    assert acknowledgement["To"] == "minji.kim@example.com"
    assert inquiry.reference in str(acknowledgement["Subject"])
    assert "접수" in str(acknowledgement["Subject"])
    plain = acknowledgement.get_body(preferencelist=("plain",))
    assert plain is not None
    assert inquiry.reference in plain.get_content()
    assert received.reference_display in plain.get_content()
    verified = client.post(reverse("claims:verify"), {"reference": received.reference_display})
    assert verified.context["result"] is True

    # An agent answers with the standard reply.
    agent = staff_client("Support agent")
    agent.post(
        reverse("admin:support_inquiry_reply", args=[inquiry.pk]),
        {"canned": "voucher-start", "body": "", "submission_key": str(uuid.uuid4())},
    )
    notice = Notice.objects.get(kind="inquiry_reply")

    wait_for(
        lambda: Notice.objects.filter(pk=notice.pk, status=Notice.Status.SENT).exists(),
        timeout=60,
        workers=workers,
        what="the reply sent",
    )
    assert smtp.handler.by_reference[notice.reference] == 1
    assert smtp.handler.by_reference[received.reference] == 1
    _acknowledgement, message = smtp.handler.messages
    assert message["To"] == "minji.kim@example.com"
    assert inquiry.reference in str(message["Subject"])
    assert "답변" in str(message["Subject"])
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert ANSWER in text
    assert inquiry.reference in text
    assert "계정 정보 유출 보상" in text
