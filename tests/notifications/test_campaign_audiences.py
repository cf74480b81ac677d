"""Campaign audiences by claim state, voucher state and award status, through the registry
(notifications imports neither claims nor vouchers); channel fallback; nobody skipped
silently; a test send to the operator and an estimated finish before the start.

The first test runs real worker processes, the real SMTP server and an SMS provider on a
socket: a campaign to "claims waiting for information" reaches exactly those claimants, by
email, and by SMS where there is no email."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import PROGRAM_OPERATOR
from audit.models import AuditEvent
from compensation.models import Award
from notifications.audiences import AUDIENCES
from notifications.errors import NotificationError
from notifications.models import Campaign, Notice
from notifications.selectors import audience_reach
from notifications.services import (
    campaign_build,
    campaign_create,
    campaign_estimate,
    campaign_schedule,
    campaign_test_send,
)
from tests.conftest import otp_login
from tests.factories import (
    AffectedPersonFactory,
    ClaimFactory,
    ClaimTypeFactory,
    ProgramFactory,
    UserFactory,
    published_policy,
)
from tests.notifications.smtp import SmtpServer
from tests.notifications.workers import Workers, wait_for


class SmsProvider(BaseHTTPRequestHandler):
    """An SMS provider on a socket: records what it is asked to send."""

    received: ClassVar[list[dict]] = []
    lock = threading.Lock()

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with SmsProvider.lock:
            SmsProvider.received.append(body)
            n = len(SmsProvider.received)
        payload = json.dumps({"id": f"sms-{n}"}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def _text(message) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


@pytest.fixture
def sms_provider():
    server = HTTPServer(("127.0.0.1", 0), SmsProvider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    SmsProvider.received = []
    yield f"http://127.0.0.1:{server.server_port}/v1/messages"
    server.shutdown()


def _waiting_claims(program):
    """Claims of every kind of claimant, four waiting for information and one not."""
    claim_type = ClaimTypeFactory.create(program=program, code="documented-loss")
    due = timezone.now() + dt.timedelta(days=5)

    def claim(person, *, status="info_requested", contact_email="", language="en"):
        return ClaimFactory.create(
            program=program,
            claim_type=claim_type,
            person=person,
            contact_email=contact_email,
            # The keyed hash of the address the claimant signed in with (never empty).
            claimant_email_hash=os.urandom(32),
            status=status,
            info_due_at=due if status == "info_requested" else None,
            language=language,
        )

    people = {
        "email": AffectedPersonFactory.create(
            program=program, email="email-only@example.com", phone="", language="en"
        ),
        "phone": AffectedPersonFactory.create(
            program=program, email="", phone="010-5555-0101", language="ko"
        ),
        "nothing": AffectedPersonFactory.create(program=program, email="", phone=""),
        "other": AffectedPersonFactory.create(program=program, email="in-review@example.com"),
    }
    return {
        "email": claim(people["email"]),
        "phone": claim(people["phone"], language="ko"),
        # A good-faith buyer, not on the list: the email they verified.
        "off_list": claim(None, contact_email="buyer@example.com", language="zh-hans"),
        "nothing": claim(people["nothing"]),
        "in_review": claim(people["other"], status="in_review"),
    }


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_campaign_to_claims_waiting_for_information_reaches_exactly_them(
    tmp_path, settings, sms_provider
):
    program = ProgramFactory.create()
    published_policy(program, {"info_requests": {"on_no_answer": "deny"}})
    claims = _waiting_claims(program)
    with SmtpServer() as smtp:
        pool = Workers(
            tmp_path,
            smtp_port=smtp.port,
            SMS_BACKEND="http",
            SMS_HTTP_URL=sms_provider,
            SMS_HTTP_TOKEN="test-token",
            NOTIFICATIONS_SMS_PER_SECOND="0",
        )
        settings.NOTIFICATIONS_QUEUE = pool.queue
        try:
            pool.start("a")
            operator = UserFactory.create()
            campaign = campaign_create(
                name="Reminder: we are waiting for your answer",
                program=program,
                kind="info_reminder",
                channel="email",
                audience="claims_info_requested",
                actor=operator,
            )
            campaign_schedule(campaign=campaign, scheduled_for=timezone.now(), actor=operator)
            wait_for(
                lambda: Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DONE,
                timeout=90,
                workers=pool,
                what="the campaign to be done",
            )
        finally:
            pool.stop_all()
        handler = smtp.handler

    notices = {n.to_address: n for n in Notice.objects.filter(campaign=campaign)}
    # Exactly the claims waiting for information that have an address, each once.
    assert set(notices) == {"email-only@example.com", "010-5555-0101", "buyer@example.com"}
    assert notices["010-5555-0101"].channel == "sms"  # no email: by SMS
    assert notices["email-only@example.com"].channel == "email"
    assert notices["buyer@example.com"].channel == "email"
    assert all(n.status == Notice.Status.SENT for n in notices.values())
    # The policy's rule for no answer, for the template to say what happens then.
    assert {n.context["on_no_answer"] for n in notices.values()} == {"deny"}

    emails = {m["To"]: m for m in handler.messages}
    assert set(emails) == {"email-only@example.com", "buyer@example.com"}
    body = _text(emails["email-only@example.com"])
    assert claims["email"].reference in body
    answer_url = f"/programs/{program.slug}/claims/{claims['email'].reference}/answer/"
    assert answer_url in body
    assert claims["in_review"].reference not in "".join(_text(m) for m in handler.messages)

    assert len(SmsProvider.received) == 1
    text = SmsProvider.received[0]
    assert text["to"] == "010-5555-0101"
    assert claims["phone"].reference in text["text"]
    assert f"/programs/{program.slug}/claims/{claims['phone'].reference}/answer/" in text["text"]
    today = timezone.localdate() + dt.timedelta(days=5)
    assert f"{today.year}년 {today.month}월 {today.day}일" in text["text"]  # in Korean

    campaign.refresh_from_db()
    assert (campaign.notices_created, campaign.sent_count, campaign.failed_count) == (3, 3, 0)
    assert campaign.fallback_count == 1
    # The one with neither an email nor a phone is counted, with the reason.
    assert campaign.unreachable_count == 1
    assert campaign.unreachable_reasons == {"no_address": 1}


@pytest.mark.django_db
def test_without_fallback_those_without_an_address_on_the_channel_are_counted(queued):
    program = ProgramFactory.create()
    published_policy(program)
    _waiting_claims(program)
    campaign = campaign_create(
        name="Email only",
        program=program,
        kind="info_reminder",
        channel="email",
        audience="claims_info_requested",
        actor=UserFactory.create(),
        fallback=False,
    )
    reach = audience_reach(campaign=campaign)
    assert (reach.on_channel, reach.fallback) == (2, 0)
    assert reach.unreachable == {"no_address": 1, "no_channel_address": 1}
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.BUILDING, scheduled_for=timezone.now()
    )
    assert campaign_build(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert campaign.notices_created == 2
    assert not Notice.objects.filter(campaign=campaign, channel="sms").exists()
    assert campaign.unreachable_count == 2
    assert campaign.unreachable_reasons == {"no_address": 1, "no_channel_address": 1}
    # Building again adds nothing and counts nobody twice.
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.BUILDING, build_cursor=0)
    campaign_build(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert Notice.objects.filter(campaign=campaign).count() == 2


@pytest.mark.django_db
def test_audiences_by_claim_state_award_status_and_unused_vouchers_are_registered(queued):
    assert {"claims_in_state", "claims_info_requested", "award_status"} <= set(AUDIENCES)
    assert "unused_value_holders" in AUDIENCES
    program = ProgramFactory.create()
    published_policy(program)
    claims = _waiting_claims(program)
    in_review = campaign_create(
        name="In review",
        program=program,
        kind="claim_acknowledged",
        channel="email",
        audience="claims_in_state",
        audience_params={"state": "in_review"},
        actor=UserFactory.create(),
    )
    assert audience_reach(campaign=in_review).total == 1
    Campaign.objects.filter(pk=in_review.pk).update(
        status=Campaign.Status.BUILDING, scheduled_for=timezone.now()
    )
    campaign_build(campaign_id=in_review.pk)
    notice = Notice.objects.get(campaign=in_review)
    assert notice.context["claim_reference"] == claims["in_review"].reference
    assert notice.dedupe_key == f"campaign:{in_review.pk}:claim:{claims['in_review'].pk}"
    with pytest.raises(NotificationError, match="state must be one of"):
        campaign_create(
            name="x",
            program=program,
            kind="claim_acknowledged",
            channel="email",
            audience="claims_in_state",
            audience_params={"state": "waiting"},
            actor=None,
        )
    with pytest.raises(NotificationError, match="status must be one of"):
        campaign_create(
            name="x",
            program=program,
            kind="incident_announcement",
            channel="email",
            audience="award_status",
            audience_params={"status": "lost"},
            context={"incident_title": "t", "claim_deadline": "d"},
            actor=None,
        )


@pytest.mark.django_db
def test_the_award_status_audience_finds_holders_of_granted_awards(queued):
    from tests.factories import AwardLineFactory

    program = ProgramFactory.create()
    policy = published_policy(program)
    line = AwardLineFactory.create(program=program)
    holder, delivered, _bystander = AffectedPersonFactory.create_batch(3, program=program)
    for person, status in ((holder, "granted"), (delivered, "delivered")):
        Award.objects.create(
            program=program,
            person=person,
            source=Award.Source.PROACTIVE,
            award_line=line,
            kind=line.kind,
            amount_minor=line.amount_minor,
            currency=program.currency,
            policy=policy,
            status=status,
        )
    campaign = campaign_create(
        name="Not yet delivered",
        program=program,
        kind="incident_announcement",
        channel="email",
        audience="award_status",
        audience_params={"status": "granted"},
        context={"incident_title": "t", "claim_deadline": "d"},
        actor=None,
    )
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.BUILDING, scheduled_for=timezone.now()
    )
    campaign_build(campaign_id=campaign.pk)
    assert list(Notice.objects.filter(campaign=campaign).values_list("person_id", flat=True)) == [
        holder.pk
    ]


@pytest.mark.django_db
def test_a_test_send_goes_to_the_operator_and_the_estimate_uses_the_channel_rates(queued, settings):
    settings.NOTIFICATIONS_RATE_PER_SECOND = {"email": 200, "sms": 50}
    program = ProgramFactory.create()
    published_policy(program)
    _waiting_claims(program)
    operator = UserFactory.create(email="operator@example.com")
    campaign = campaign_create(
        name="Reminder",
        program=program,
        kind="info_reminder",
        channel="email",
        audience="claims_info_requested",
        actor=operator,
    )
    sent_to = campaign_test_send(
        campaign=campaign, actor=operator, language="ko", phone="010-9999-0000"
    )
    assert sent_to == ["email ****************.com", "sms *********0000"]
    tests = Notice.objects.filter(campaign__isnull=True, kind="info_reminder")
    assert set(tests.values_list("channel", "to_address")) == {
        ("email", "operator@example.com"),
        ("sms", "010-9999-0000"),
    }
    assert not Notice.objects.filter(campaign=campaign).exists()  # nobody else
    campaign.refresh_from_db()
    assert campaign.test_sent_at is not None
    assert AuditEvent.objects.filter(action="campaign.test_send", object_id=str(campaign.pk))

    estimate = campaign_estimate(campaign=campaign)
    assert estimate.left == {"email": 2, "sms": 1}
    assert estimate.rates == {"email": 200, "sms": 50}
    assert estimate.seconds == 1
    assert estimate.finish_at is not None


@pytest.mark.django_db
def test_in_the_admin_send_now_waits_for_a_test_and_the_page_shows_reach_and_estimate(queued):
    program = ProgramFactory.create()
    published_policy(program)
    _waiting_claims(program)
    user = UserFactory.create(role=PROGRAM_OPERATOR, language="en")
    client = otp_login(Client(), user)
    response = client.post(
        reverse("admin:notifications_campaign_add"),
        {
            "name": "Reminder",
            "program": program.pk,
            "kind": "info_reminder",
            "channel": "email",
            "fallback": "on",
            "audience": "claims_info_requested",
            "context": "{}",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    campaign = Campaign.objects.get()
    changelist = reverse("admin:notifications_campaign_changelist")
    client.post(changelist, {"action": "send_now", "_selected_action": [campaign.pk]})
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT  # no test yet

    page = client.get(reverse("admin:notifications_campaign_change", args=[campaign.pk])).text
    assert "2 on Email" in page
    assert "1 on SMS instead" in page
    assert "1 cannot be reached: no email and no phone number" in page
    assert "Estimated finish" in page

    test_url = reverse("admin:notifications_campaign_test", args=[campaign.pk])
    assert client.get(test_url).status_code == 200
    response = client.post(test_url, {"language": "en", "phone": ""})
    assert response.status_code == 302
    client.post(changelist, {"action": "send_now", "_selected_action": [campaign.pk]})
    campaign.refresh_from_db()
    assert campaign.status != Campaign.Status.DRAFT


@pytest.mark.django_db
def test_holders_of_unused_value_get_their_own_count_and_value_left(queued, monkeypatch):
    from tests.vouchers.conftest import run_issue, voucher_program_make
    from vouchers.models import Voucher

    monkeypatch.setattr("vouchers.services.runs.voucher_batch_dispatch", lambda **kw: None)
    program = voucher_program_make(name="Unused value", account_statuses=["active"])
    holder, spent = AffectedPersonFactory.create_batch(2, program=program, language="en")
    run_issue(program)
    Voucher.objects.filter(person=spent).update(state=Voucher.State.REDEEMED)
    first = Voucher.objects.filter(person=holder).order_by("id").first()
    assert first is not None
    Voucher.objects.filter(pk=first.pk).update(state=Voucher.State.REDEEMED)
    campaign = campaign_create(
        name="You still have vouchers",
        program=program,
        kind="voucher_expiry_reminder",
        channel="email",
        audience="unused_value_holders",
        context={"me_url": "https://compensation.example.com/me/"},
        actor=None,
    )
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.BUILDING, scheduled_for=timezone.now()
    )
    campaign_build(campaign_id=campaign.pk)
    notice = Notice.objects.get(campaign=campaign)
    assert notice.person_id == holder.pk  # the one who spent everything gets nothing
    left = Voucher.objects.filter(person=holder, state=Voucher.State.ISSUED)
    assert notice.context["voucher_count"] == str(left.count())
    total = sum(v.amount_minor for v in left)
    assert notice.context["voucher_total"] == f"₩{total:,}"
    assert notice.context["expires_on"]
