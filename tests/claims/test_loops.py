"""Every loop closes (issue 18): the information request's link opens the answer page, a
reminder goes out before the deadline, the deadline moves the claim by the policy's rule,
every decision notice links to the claim with its appeal deadline, and a pool's settlement
tells each claimant their final amount and the share."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from claims.errors import ClaimError
from claims.models import Claim, ClaimEvent
from claims.notices import local_when
from claims.presenters import claim_reasons
from claims.services import claim_deny, claim_info_respond, claim_request_info
from claims.services.claimant import appeal_deadline
from claims.services.info_deadlines import claims_info_expire, info_due_at
from claims.services.info_reminders import claims_info_remind
from claims.tasks import claims_info_deadlines_task, claims_info_reminders_task
from compensation.claimant_session import Claimant
from compensation.hashing import email_hash
from compensation.models import Program
from notifications.models import Notice
from notifications.sealed import unseal
from notifications.services import notices_dispatch
from tests.claims.conftest import claimant_session, pdf
from tests.claims.helpers import file_claim
from tests.factories import ClaimantPersonFactory, UserFactory, published_policy

pytestmark = pytest.mark.django_db

SITE = "https://compensation.example.com"
DATES = {  # the date as each language writes it (config/formats)
    "ko": r"\d{4}년 \d{1,2}월 \d{1,2}일",
    "en": r"\d{1,2} [A-Z][a-z]+ \d{4}",  # "15 March 2026"
    "zh-hans": r"\d{4}年\d{1,2}月\d{1,2}日",
}


@pytest.fixture(autouse=True)
def _sender(settings):
    """Notices rendered and sent as the worker does, into Django's test outbox."""
    from notifications.services import sending

    settings.NOTIFICATIONS_SITE_URL = SITE
    settings.NOTIFICATIONS_RATE_PER_SECOND = {"email": 0, "sms": 0}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sending._floors.clear()
    sending._floors_reset_at.clear()


def _agent():
    """Staff who may work claims, by permission (a transactional test's flush removes the
    role groups, and putting them back through the live app registry would stop later
    flushes from recreating the permissions)."""
    from django.contrib.auth.models import Permission

    user = UserFactory.create()
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="claims", codename="change_claim")
    )
    return user


def _waiting(program, claim_type, claimant, *, days=14, key="key-1", language="en"):
    """A filed claim whose reviewer asked for the taxi receipt."""
    claim, _ = file_claim(
        program=program, claim_type=claim_type, claimant=claimant, key=key, documents=()
    )
    Claim.objects.filter(pk=claim.pk).update(language=language)
    claim.refresh_from_db()
    return claim_request_info(
        claim=claim,
        message="Please send the receipt for the taxi.",
        document_kind="receipt",
        days=days,
        actor=_agent(),
    )


def _sent(kind: str) -> list[str]:
    """Send what is pending and return the bodies of the `kind` notices, as they arrived."""
    notices_dispatch(channel="email")
    wanted = set(Notice.objects.filter(kind=kind).values_list("reference", flat=True))
    return [str(m.body) for m in mail.outbox if m.extra_headers.get("X-Notice-Reference") in wanted]


def _link(body: str) -> str:
    """The notice's personal link (it prints that in place of the page's plain address)."""
    (link,) = [u for u in re.findall(r"https://\S+", body) if "/go/" in u]
    return link


def _follow(client, body: str) -> str:
    """Open the notice's personal link and press its one button: where it leads, signed in."""
    path = urlsplit(_link(body)).path
    assert client.get(path).status_code == 200  # a page with one button: a scanner spends nothing
    opened = client.post(path)
    assert opened.status_code == 302
    return opened["Location"]


# --- The answer page ------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["ko", "en", "zh-hans"])
def test_the_information_requests_link_opens_the_answer_page_signed_in(
    client, program, documented, claimant, person, language
):
    claim = _waiting(program, documented, claimant, language=language)
    (body,) = _sent("info_requested")
    path = reverse("claims:answer", args=[program.slug, claim.reference])
    assert re.search(DATES[language], body)  # the deadline in the claimant's language

    client.cookies["django_language"] = language
    assert client.get(path).status_code == 302  # signed out, the page asks to sign in
    assert _follow(client, body) == path
    page = client.get(path)
    assert page.status_code == 200
    assert "receipt for the taxi" in page.text
    assert re.search(DATES[language], page.text)
    assert 'name="answer"' in page.text
    assert 'name="document"' in page.text

    answered = client.post(path, {"answer": "Here it is.", "document": pdf()})
    assert answered.status_code == 302
    assert answered["Location"] == reverse("claims:status", args=[program.slug, claim.reference])
    claim.refresh_from_db()
    assert claim.status == Claim.Status.IN_REVIEW
    assert claim.documents.filter(purpose="info").count() == 1


def test_a_used_link_falls_back_to_the_code_sign_in_that_comes_back_to_the_page(
    client, program, documented, claimant, person
):
    claim = _waiting(program, documented, claimant)
    (body,) = _sent("info_requested")
    path = reverse("claims:answer", args=[program.slug, claim.reference])
    assert _follow(client, body) == path
    stranger = Client()  # a forwarded message, or the link opened a second time
    link = urlsplit(_link(body)).path
    again = stranger.post(link)
    assert again.status_code == 200
    assert "already been used" in again.text
    assert f'name="next" value="{path}"' in again.text
    assert stranger.get(path).status_code == 302  # not signed in
    assert AuditEvent.objects.filter(action="claims.personal_link_use").count() == 1


def test_the_answer_page_is_the_claimants_own_and_only_while_something_is_asked(
    client, program, documented, claimant, person
):
    claim = _waiting(program, documented, claimant)
    path = reverse("claims:answer", args=[program.slug, claim.reference])
    claimant_session(client, email="someone-else@example.com")
    assert client.get(path).status_code == 404
    assert client.post(path, {"answer": "Not mine."}).status_code == 404
    claim.refresh_from_db()
    assert claim.status == Claim.Status.INFO_REQUESTED

    claimant_session(client, person=person, email=person.email)
    claim_info_respond(claim=claim, claimant=claimant, answer="Sent by post.")
    again = client.get(path)
    assert again.status_code == 302
    assert again["Location"] == reverse("claims:status", args=[program.slug, claim.reference])


def test_the_answer_page_says_what_happens_without_an_answer_under_the_claims_policy(
    client, program, documented, claimant, person
):
    earlier = _waiting(program, documented, claimant)  # screened under the first policy
    program.policies.update(status="retired")
    published_policy(program, {"info_requests": {"on_no_answer": "deny"}})
    other = ClaimantPersonFactory.create(program=program, email="jiho@example.com")
    later = _waiting(
        program, documented, Claimant(person=other, email_hash=email_hash(other.email)), key="k2"
    )

    def page(claim, who):
        claimant_session(client, person=who, email=who.email)
        return client.get(reverse("claims:answer", args=[program.slug, claim.reference])).text

    assert "we will decide on what we have" in page(earlier, person)
    assert "closed as not approved, for lack of an answer" in page(later, other)
    notice = Notice.objects.get(kind="info_requested", context__claim_reference=later.reference)
    assert notice.context["on_no_answer"] == "deny"


def test_a_request_is_due_at_the_end_of_its_last_day():
    seoul = timezone.get_current_timezone()
    due = info_due_at(days=14, now=dt.datetime(2026, 3, 1, 9, 30, tzinfo=seoul))
    assert timezone.localtime(due) == dt.datetime(2026, 3, 15, 23, 59, 59, tzinfo=seoul)


# --- The reminder -------------------------------------------------------------------------


def _into_reminder_window(claim, *, days_left=2, asked_days_ago=12):
    now = timezone.now()
    Claim.objects.filter(pk=claim.pk).update(info_due_at=now + dt.timedelta(days=days_left))
    ClaimEvent.objects.filter(claim=claim, kind="info_requested").update(
        created_at=now - dt.timedelta(days=asked_days_ago)
    )


def test_one_reminder_per_request_before_its_deadline(program, documented, claimant):
    claim = _waiting(program, documented, claimant)
    assert claims_info_reminders_task() == 0  # 14 days left: too early
    _into_reminder_window(claim)
    assert claims_info_reminders_task() == 1
    assert claims_info_reminders_task() == 0  # once per round
    (body,) = _sent("info_reminder")
    assert claim.reference in body
    assert _follow(Client(), body) == reverse("claims:answer", args=[program.slug, claim.reference])
    assert re.search(DATES["en"], body)
    assert "we will decide on what we have" in body
    assert AuditEvent.objects.filter(action="claims.info_remind").count() == 1

    # Answered, asked again: the new round has its own reminder.
    claim_info_respond(claim=claim, claimant=claimant, answer="Sent by post.")
    claim = claim_request_info(claim=claim, message="And the second page?", actor=_agent())
    _into_reminder_window(claim)
    assert claims_info_remind() == 1
    keys = set(Notice.objects.filter(kind="info_reminder").values_list("dedupe_key", flat=True))
    assert keys == {
        f"claim:{claim.reference}:info-reminder:1",
        f"claim:{claim.reference}:info-reminder:2",
    }


def test_a_claimant_without_an_email_gets_the_reminder_by_sms_with_a_link_to_their_phone(
    program, documented, claimant, person
):
    from claims.models import PersonalLink
    from compensation.hashing import phone_hash

    claim = _waiting(program, documented, claimant)
    type(person).objects.filter(pk=person.pk).update(
        email="", email_hash=None, phone="010-5555-0303", phone_hash=phone_hash("010-5555-0303")
    )
    _into_reminder_window(claim)
    assert claims_info_reminders_task() == 1
    reminder = Notice.objects.get(kind="info_reminder")
    assert (reminder.channel, reminder.to_address) == ("sms", "010-5555-0303")
    link = PersonalLink.objects.latest("id")  # the request's own went to the email before
    assert link.next_path == reverse("claims:answer", args=[program.slug, claim.reference])
    assert bytes(link.recipient_hash) == phone_hash("010-5555-0303")
    assert unseal(reminder.context["personal_url"]).startswith(SITE + "/go/")


def test_no_reminder_for_a_request_shorter_than_the_reminders_lead(program, documented, claimant):
    _waiting(program, documented, claimant, days=2)
    assert claims_info_remind() == 0
    assert claims_info_remind(now=timezone.now() + dt.timedelta(days=1)) == 0
    assert not Notice.objects.filter(kind="info_reminder").exists()


def test_reminders_go_in_chunks_each_to_its_own_claimant(program, documented):
    claims = []
    for i in range(5):
        person = ClaimantPersonFactory.create(program=program, language="ko")
        who = Claimant(person=person, email_hash=email_hash(person.email))
        claims.append(_waiting(program, documented, who, key=f"k{i}", language="ko"))
        _into_reminder_window(claims[-1])
    assert claims_info_remind(chunk_size=2) == 5
    notices = Notice.objects.filter(kind="info_reminder")
    assert sorted(n.context["claim_reference"] for n in notices) == sorted(
        c.reference for c in claims
    )
    assert {n.language for n in notices} == {"ko"}
    assert all(re.search(DATES["ko"], n.context["respond_by"]) for n in notices)
    assert claims_info_remind(chunk_size=2) == 0


# --- The deadline -------------------------------------------------------------------------


def _past_deadline(claim):
    Claim.objects.filter(pk=claim.pk).update(info_due_at=timezone.now() - dt.timedelta(seconds=1))


def test_at_the_deadline_a_claim_goes_back_to_review_by_default(program, documented, claimant):
    claim = _waiting(program, documented, claimant)
    assert claims_info_deadlines_task() == 0  # not due yet
    _past_deadline(claim)
    assert claims_info_deadlines_task() == 1
    claim.refresh_from_db()
    assert claim.status == Claim.Status.IN_REVIEW
    assert claim.info_due_at is None
    assert claim.due_at is not None  # the review's SLA clock
    event = claim.events.get(kind="info_expired")
    assert (event.from_status, event.to_status, event.internal) == (
        "info_requested",
        "in_review",
        False,
    )
    audit = AuditEvent.objects.get(action="claim.info_expired")
    assert audit.after == {"status": "in_review", "rule": "decide_on_file"}
    assert not Notice.objects.filter(kind="decision").exists()
    assert claims_info_expire() == 0  # nothing twice


@pytest.mark.parametrize("language", ["ko", "en", "zh-hans"])
def test_at_the_deadline_a_deny_policy_denies_for_no_answer_and_says_so(
    documented, claimant, language
):
    program = documented.program
    program.policies.update(status="retired")
    published_policy(program, {"info_requests": {"on_no_answer": "deny"}})
    claim = _waiting(program, documented, claimant, language=language)
    _past_deadline(claim)
    assert claims_info_expire() == 1
    claim.refresh_from_db()
    assert claim.status == Claim.Status.DENIED
    assert claim.amount_decided_minor == 0
    assert claim.decided_by is None
    denials = [
        r["code"] for r in claim.decision_reasons if r["effect"] == "deny" and not r["passed"]
    ]
    assert denials == ["no_answer"]
    from django.utils import translation

    with translation.override(language):
        expected = str(
            __import__("compensation.engine.reasons").engine.reasons.REASONS["no_answer.failed"]
        )
    assert claim_reasons(claim, language) == [expected]
    deadline = appeal_deadline(claim)
    assert deadline is not None  # the claimant may still appeal, with the answer
    (body,) = _sent("decision")
    assert _follow(Client(), str(body)) == reverse(
        "claims:status", args=[program.slug, claim.reference]
    )
    assert local_when(deadline, language, with_time=True) in body
    assert claims_info_expire() == 0
    assert Notice.objects.filter(kind="decision").count() == 1


def test_an_appeal_left_unanswered_goes_back_to_the_senior_reviewer(program, documented, claimant):
    claim, _ = file_claim(program=program, claim_type=documented, claimant=claimant, documents=())
    claim = claim_deny(claim=claim, reason_codes=["loss_not_shown"], actor=_agent())
    from claims.services import claim_appeal

    claim = claim_appeal(claim=claim, claimant=claimant, statement="Here is why.")
    senior = UserFactory.create(role="Senior reviewer")
    claim = claim_request_info(claim=claim, message="The bank statement, please.", actor=senior)
    _past_deadline(claim)
    assert claims_info_expire() == 1
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPEALED


def test_an_appeal_answered_goes_back_to_the_senior_reviewer(program, documented, claimant):
    from claims.services import claim_appeal, claim_info_respond

    claim, _ = file_claim(program=program, claim_type=documented, claimant=claimant, documents=())
    claim = claim_deny(claim=claim, reason_codes=["loss_not_shown"], actor=_agent())
    claim = claim_appeal(claim=claim, claimant=claimant, statement="Here is why.")
    senior = UserFactory.create(role="Senior reviewer")
    claim = claim_request_info(claim=claim, message="The bank statement, please.", actor=senior)
    claim = claim_info_respond(claim=claim, claimant=claimant, answer="Attached as asked.")
    assert claim.status == Claim.Status.APPEALED


# --- The race at the deadline -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_answer_at_the_last_second_and_the_deadline_sweep_never_both_win(documented):
    """The claimant's answer passed the deadline check a moment before the deadline (its
    claim object says so); the sweep sees the deadline passed. Whichever commits first wins,
    the other changes nothing."""
    from tests.support import race

    program = documented.program
    program.policies.update(status="retired")
    published_policy(program, {"info_requests": {"on_no_answer": "deny"}})
    outcomes = set()
    for round_number in range(8):
        person = ClaimantPersonFactory.create(program=program)
        claimant = Claimant(person=person, email_hash=email_hash(person.email))
        claim = _waiting(program, documented, claimant, key=f"race-{round_number}")
        _past_deadline(claim)  # the claimant's `claim` still holds the deadline before it

        def act(i, claim=claim, claimant=claimant):
            if i == 0:
                return claim_info_respond(claim=claim, claimant=claimant, answer="Just in time.")
            return claims_info_expire()

        answered, swept = race(act, 2)
        claim.refresh_from_db()
        kinds = list(claim.events.values_list("kind", flat=True))
        if isinstance(answered, ClaimError):  # the sweep won
            assert answered.code == "conflict"
            assert swept == 1
            assert claim.status == Claim.Status.DENIED
            assert "info_received" not in kinds
            assert kinds.count("info_expired") == 1
        else:  # the answer won
            assert swept == 0
            assert claim.status == Claim.Status.IN_REVIEW
            assert "info_expired" not in kinds
            assert kinds.count("info_received") == 1
        outcomes.add(claim.status)
        Claim.objects.filter(pk=claim.pk).update(status="approved")  # out of the next round
    assert outcomes  # at least one round ran; which side wins is up to the scheduler


# --- Decision notices ---------------------------------------------------------------------


@pytest.mark.parametrize("language", ["ko", "en", "zh-hans"])
def test_a_denial_notice_links_to_the_claim_and_says_until_when_to_appeal(
    program, documented, claimant, language
):
    claim, _ = file_claim(program=program, claim_type=documented, claimant=claimant, documents=())
    Claim.objects.filter(pk=claim.pk).update(language=language)
    claim.refresh_from_db()
    claim = claim_deny(claim=claim, reason_codes=["loss_not_shown"], actor=_agent())
    notice = Notice.objects.get(kind="decision")
    status_url = SITE + reverse("claims:status", args=[program.slug, claim.reference])
    appeal_by = local_when(appeal_deadline(claim), language, with_time=True)
    assert notice.context["claim_url"] == status_url
    assert notice.context["appeal_by"] == appeal_by
    (body,) = _sent("decision")
    assert SITE + "/go/" in body  # the personal link, in place of the page's plain address
    assert unseal(notice.context["personal_url"]) in body
    assert _follow(Client(), str(body)) == reverse(
        "claims:status", args=[program.slug, claim.reference]
    )
    assert appeal_by in body
    assert re.search(DATES[language], appeal_by)


@pytest.mark.parametrize("language", ["ko", "en", "zh-hans"])
def test_an_approval_and_an_appeal_outcome_link_to_the_claim(
    program, documented, claimant, language
):
    from claims.services import claim_appeal, claim_approve

    claim, _ = file_claim(program=program, claim_type=documented, claimant=claimant, documents=())
    Claim.objects.filter(pk=claim.pk).update(language=language)
    claim.refresh_from_db()
    claim = claim_deny(claim=claim, reason_codes=["loss_not_shown"], actor=_agent())
    claim = claim_appeal(claim=claim, claimant=claimant, statement="Here is the receipt.")
    claim = claim_approve(
        claim=claim, amount_minor=40_000, actor=UserFactory.create(role="Senior reviewer")
    )
    outcome = Notice.objects.get(kind="appeal_outcome")
    status_url = SITE + reverse("claims:status", args=[program.slug, claim.reference])
    assert outcome.context["claim_url"] == status_url
    assert outcome.context["appeal_by"] == ""  # one appeal only
    notices_dispatch(channel="email")
    bodies = {m.extra_headers["X-Notice-Reference"]: m.body for m in mail.outbox}
    body = bodies[outcome.reference]
    assert _follow(Client(), str(body)) == reverse(
        "claims:status", args=[program.slug, claim.reference]
    )
    final = {
        "en": "final within the program",
        "ko": "최종 결정",
        "zh-hans": "最终决定",
    }[language]
    assert final in body


def test_a_decision_notice_through_the_real_smtp_server(settings, program, documented, claimant):
    from tests.notifications.smtp import SmtpServer

    claim, _ = file_claim(program=program, claim_type=documented, claimant=claimant, documents=())
    claim = claim_deny(claim=claim, reason_codes=["loss_not_shown"], actor=_agent())
    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        notices_dispatch(channel="email")
    decision = Notice.objects.get(kind="decision")
    decision.refresh_from_db()
    assert decision.status == Notice.Status.SENT
    (message,) = [
        m for m in server.handler.messages if m["X-Notice-Reference"] == decision.reference
    ]
    body = message.get_content()
    assert _follow(Client(), str(body)) == reverse(
        "claims:status", args=[program.slug, claim.reference]
    )
    assert local_when(appeal_deadline(claim), "en", with_time=True) in body


# --- The pool's settlement ----------------------------------------------------------------


def _pool(program, documented, *, pool_minor, amounts, languages=("en",)):
    Program.objects.filter(pk=program.pk).update(
        allocation=Program.Allocation.PRO_RATA, claim_pool_minor=pool_minor
    )
    program.refresh_from_db()
    claims = []
    for i, amount in enumerate(amounts):
        person = ClaimantPersonFactory.create(
            program=program, language=languages[i % len(languages)]
        )
        who = Claimant(person=person, email_hash=email_hash(person.email))
        claim, _ = file_claim(
            program=program, claim_type=documented, claimant=who, key=f"p{i}", amount=amount
        )
        Claim.objects.filter(pk=claim.pk).update(language=person.language)
        claims.append(claim)
    return claims


@pytest.mark.parametrize(
    ("language", "final", "share", "amounts"),
    [
        ("en", "Your final amount: ₩20,000", "50%", ("₩40,000", "₩20,000", "₩60,000")),
        ("ko", "최종 금액: 20,000원", "50%", ("40,000원", "20,000원", "60,000원")),
        ("zh-hans", "最终金额：₩20,000", "50%", ("₩40,000", "₩20,000", "₩60,000")),
    ],
)
def test_each_pool_claimant_is_told_the_final_amount_and_the_share(
    program, documented, language, final, share, amounts
):
    from claims.services.pool import claims_pool_settle

    claims = _pool(
        program, documented, pool_minor=60_000, amounts=[40_000] * 3, languages=(language,)
    )
    assert claims_pool_settle(program=program, actor_label="test") == 3
    notices = Notice.objects.filter(kind="pool_settled")
    assert notices.count() == 3
    assert {n.context["claim_reference"] for n in notices} == {c.reference for c in claims}
    first = notices.first()
    assert first is not None
    context = first.context
    entitled, final_amount, pool = amounts
    assert context["entitled_amount"] == entitled
    assert context["final_amount"] == final_amount
    assert context["pool_amount"] == pool
    assert context["pool_share"] == share
    assert context["reduced"] == "yes"
    bodies = _sent("pool_settled")
    assert len(bodies) == 3
    assert all(final in body and share in body and pool in body for body in bodies)
    assert ClaimEvent.objects.filter(kind="pool_settled").count() == 3


def test_a_pool_that_covers_every_claim_says_so(program, documented):
    from claims.services.pool import claims_pool_settle

    _pool(program, documented, pool_minor=1_000_000, amounts=[40_000, 25_000])
    claims_pool_settle(program=program, actor_label="test")
    contexts = [n.context for n in Notice.objects.filter(kind="pool_settled")]
    assert {c["pool_share"] for c in contexts} == {"100%"}
    assert {c["reduced"] for c in contexts} == {""}
    assert sorted(c["final_amount"] for c in contexts) == ["₩25,000", "₩40,000"]
    assert all("whole approved amount" in body for body in _sent("pool_settled"))


def test_the_pool_notice_writes_the_share_as_a_percentage(program):
    from fractions import Fraction

    from claims.services.pool_notices import pool_share_text

    assert pool_share_text(Fraction(2, 3)) == "66.66%"
    assert pool_share_text(Fraction(1, 2)) == "50%"
    assert pool_share_text(Fraction(1)) == "100%"


# --- The rule and the templates -----------------------------------------------------------


def test_the_policys_rule_for_no_answer_is_checked_and_defaults_to_deciding_on_file():
    from compensation.engine import on_no_answer, rules_validate

    with pytest.raises(ValueError, match=r"info_requests\.on_no_answer: must be one of"):
        rules_validate({"info_requests": {"on_no_answer": "ignore"}})
    assert on_no_answer(rules_validate({})) == "decide_on_file"
    assert on_no_answer(rules_validate({"info_requests": {"on_no_answer": "deny"}})) == "deny"
    # A version published before the rule existed has no such section.
    assert on_no_answer({"eligibility": {}}) == "decide_on_file"


@pytest.mark.parametrize("language", ["ko", "en", "zh-hans"])
def test_the_decision_templates_link_to_the_claim_and_name_the_appeal_deadline(language):
    from notifications.models import NoticeTemplate

    for kind in ("decision", "appeal_outcome"):
        for channel in ("email", "sms"):
            body = NoticeTemplate.objects.get(kind=kind, channel=channel, language=language).body
            assert "{{ claim_url }}" in body
            assert "{{ appeal_by }}" in body or (kind, channel) == ("appeal_outcome", "sms")
    requested = NoticeTemplate.objects.get(
        kind="info_requested", channel="email", language=language
    )
    assert 'on_no_answer == "deny"' in requested.body


def test_a_decision_template_an_operator_reworded_gets_the_link_before_its_footer():
    import importlib

    migration = importlib.import_module("notifications.migrations.0012_loop_kinds")
    footer = migration.FOOTER["en"]
    own = f"Our own words on {{{{ decision_summary }}}}.\n\n{footer}\n"
    reworded = migration.reword("decision", "email", "en", own)
    assert reworded.startswith("Our own words on {{ decision_summary }}.\n\nYour claim and")
    assert reworded.index("{{ claim_url }}") < reworded.index(footer)
    assert migration.reword("decision", "email", "en", reworded) == reworded  # once
