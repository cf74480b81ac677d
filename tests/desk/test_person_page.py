"""The person, in one page: what of theirs was exposed, awards, vouchers (never a code),
claims and how each is paid (masked), notices with references and outcomes, the audit trail;
a fixed number of queries; every view audited; resending a notice and reissuing a voucher."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from notifications.models import Notice
from notifications.services import notice_enqueue
from tests.desk.conftest import person_make, voucher_make
from tests.factories import ClaimFactory
from tests.payouts.factories import claim_award
from vouchers.models import Voucher
from vouchers.presenters import voucher_code

pytestmark = pytest.mark.django_db


def page_url(person) -> str:
    return reverse("admin:support_person_page", args=[person.pk])


def notice_make(person, *, kind="claim_acknowledged", status="sent", **context) -> Notice:
    with transaction.atomic():
        notice = notice_enqueue(
            kind=kind,
            channel="email",
            language=person.language,
            to_address=person.email,
            context=context or {"claim_reference": "C-TEST"},
            program=person.program,
            person=person,
        )
    if status != "pending":
        Notice.objects.filter(pk=notice.pk).update(
            status=status, attempts=1, sent_at=timezone.now() if status == "sent" else None
        )
    notice.refresh_from_db()
    return notice


def claim_paid_by_bank(person):
    """An approved claim of the person with its award and a bank-transfer choice."""
    with transaction.atomic():  # the claimant's choice is bound inside the filing's transaction
        award, instruction = claim_award(person.program, account_number="110234569012")
    claim = ClaimFactory.create(
        program=person.program,
        person=person,
        reference=award.claim_reference,
        status="approved",
        amount_claimed_minor=30_000,
        amount_decided_minor=30_000,
        award=award,
    )
    return claim, instruction


@pytest.fixture
def agent(staff_client):
    return staff_client("Support agent")


def test_the_page_shows_everything_about_the_person_in_words_not_codes(agent, minji):
    voucher = voucher_make(minji, "7K3P", scope="eats")
    voucher_make(minji, "AB2C", scope="store", state="redeemed")
    claim, _ = claim_paid_by_bank(minji)
    notice = notice_make(minji, claim_reference=claim.reference)

    response = agent.get(page_url(minji))
    assert response.status_code == 200
    html = response.content.decode()
    page = response.context["page"]
    assert [str(c) for c in page.exposed] == [
        "Name",
        "Email address",
        "Phone number",
        "Postal address",
    ]
    assert (page.email_masked, page.phone_masked) == ("mi•••@example.com", "•••6789")
    assert "minji.kim@example.com" not in html
    assert "010-2345-6789" not in html
    assert [(v["last4"], str(v["state_label"])) for v in page.vouchers] == [
        ("7K3P", "Usable"),
        ("AB2C", "Redeemed"),
    ]
    assert "₩5,000" in html
    assert voucher_code(voucher) not in html  # never a code
    assert [a["status"] for a in page.awards].count("Granted") == 3  # two vouchers, one claim
    [row] = page.claims
    assert (row["reference"], str(row["status"]), row["decided"]) == (
        claim.reference,
        "Approved",
        "₩30,000",
    )
    assert (str(row["method"]), row["account"]) == ("Bank transfer", "****9012")
    assert "110234569012" not in html
    [sent] = page.notices
    assert sent["reference"] == notice.reference_display
    assert (str(sent["kind"]), str(sent["status"])) == ("Claim acknowledged", "Sent")
    assert notice.reference_display in html
    assert "claim_acknowledged" not in html


def test_the_trail_names_what_happened_and_who_in_words(agent, minji):
    claim, _ = claim_paid_by_bank(minji)
    from claims.services.review import claim_note_add

    claim_note_add(claim=claim, note="called in", actor=agent.user, ip_address=None)
    agent.get(page_url(minji))
    trail = agent.get(page_url(minji)).context["page"].trail
    actions = [str(row["action"]) for row in trail]
    assert actions[0] == "Page viewed by staff"  # the earlier view, newest first
    assert "Internal note added" in actions
    assert "Award granted" in actions
    assert agent.user.email in {str(row["who"]) for row in trail}
    assert not any(str(row["who"]).startswith("user:") for row in trail)


def test_viewing_the_page_is_audited_on_the_persons_trail(agent, minji):
    agent.get(page_url(minji))
    event = AuditEvent.objects.get(action="support.person_view")
    assert (event.object_type, event.object_id) == ("compensation.affectedperson", str(minji.pk))
    assert event.actor_id == agent.user.pk
    assert event.program_id == minji.program_id


def _page_queries(client, person) -> list[str]:
    """The statements one view of the page runs, the session's read left out (the test
    client's first request may or may not have it cached)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(page_url(person)).status_code == 200
    return [q["sql"] for q in captured.captured_queries if "django_session" not in q["sql"]]


def test_the_page_costs_the_same_queries_with_one_or_many_of_everything(agent, minji, desk_program):
    few = _page_queries(agent, minji)
    # The signed-in user, device and permissions (4); the person, their other records,
    # claims, awards, vouchers, notices, inquiries, trail and the audit row of the view (9).
    assert len(few) == 13
    for n in range(3):
        voucher_make(minji, f"K{n}2P", scope=f"line{n}")
        claim, _ = claim_paid_by_bank(minji)
        notice_make(minji, claim_reference=claim.reference)
    twin = person_make(desk_program, email=minji.email, external_id="CU-TWIN")
    assert twin.email_hash == minji.email_hash
    many = _page_queries(agent, minji)
    page = agent.get(page_url(minji)).context["page"]
    assert (len(page.claims), len(page.vouchers), len(page.notices), len(page.others)) == (
        3,
        3,
        3,
        1,
    )
    # Only the claims' payment choices and payouts are added (there were no claims before).
    assert len(many) == len(few) + 2


def test_an_unknown_person_is_404_and_not_audited(agent):
    assert agent.get(reverse("admin:support_person_page", args=[999999])).status_code == 404
    assert not AuditEvent.objects.filter(action="support.person_view").exists()


# --- Resend a notice ---------------------------------------------------------------------------


def resend(client, person, notice):
    return client.post(
        reverse("admin:support_person_resend", args=[person.pk]), {"notice": notice.pk}
    )


def test_resending_makes_a_new_notice_of_the_same_kind_and_context_audited(agent, minji):
    original = notice_make(minji, status="failed", claim_reference="C-ABC")
    response = resend(agent, minji, original)
    assert response.status_code == 302
    new = Notice.objects.exclude(pk=original.pk).get()
    assert (new.kind, new.channel, new.language, new.context) == (
        original.kind,
        original.channel,
        original.language,
        original.context,
    )
    assert new.reference != original.reference
    assert (new.person_id, new.to_address, new.status) == (minji.pk, minji.email, "pending")
    event = AuditEvent.objects.get(action="notice.resend")
    assert (event.object_id, event.actor_id) == (str(new.pk), agent.user.pk)
    assert event.after == {"resent_from": original.pk, "kind": "claim_acknowledged"}


def test_resending_twice_the_same_day_sends_one_notice(agent, minji):
    original = notice_make(minji)
    resend(agent, minji, original)
    response = resend(agent, minji, original)
    assert Notice.objects.count() == 2
    assert AuditEvent.objects.filter(action="notice.resend").count() == 1
    follow = agent.get(response["Location"])
    assert "already sent again today" in follow.content.decode()


def test_a_notice_still_on_its_way_is_not_resent(agent, minji):
    pending = notice_make(minji, status="pending")
    resend(agent, minji, pending)
    assert Notice.objects.count() == 1
    assert not AuditEvent.objects.filter(action="notice.resend").exists()


def test_another_persons_notice_cannot_be_resent_from_this_page(agent, minji, desk_program):
    other = person_make(desk_program, name="Other")
    notice = notice_make(other)
    resend(agent, minji, notice)
    assert Notice.objects.count() == 1


def test_the_auditor_reads_the_page_but_cannot_resend(staff_client, minji):
    auditor = staff_client("Auditor")
    notice = notice_make(minji)
    response = auditor.get(page_url(minji))
    assert response.status_code == 200
    assert "Send again" not in response.content.decode()
    assert resend(auditor, minji, notice).status_code == 403
    assert Notice.objects.count() == 1


# --- Reissue a voucher -------------------------------------------------------------------------


def reissue(client, person, voucher, reason="the customer's code was seen by someone else"):
    return client.post(
        reverse("admin:support_person_reissue", args=[person.pk]),
        {"voucher": voucher.pk, "reason": reason},
    )


def test_an_operator_voids_and_reissues_a_voucher_from_the_page(staff_client, minji):
    operator = staff_client("Program operator")
    voucher = voucher_make(minji, "7K3P")
    response = reissue(operator, minji, voucher)
    assert response.status_code == 302
    voucher.refresh_from_db()
    assert voucher.state == Voucher.State.VOID
    new = Voucher.objects.get(award_id=voucher.award_id, state=Voucher.State.ISSUED)
    assert new.generation == 2
    assert AuditEvent.objects.filter(action="voucher.void_reissue", actor=operator.user).exists()
    follow = operator.get(response["Location"])
    assert f"ending {new.last4} replaces it" in follow.content.decode()


def test_an_agent_without_the_vouchers_permission_cannot_reissue(agent, minji):
    voucher = voucher_make(minji, "7K3P")
    page = agent.get(page_url(minji)).content.decode()
    assert "Void and reissue" not in page
    assert reissue(agent, minji, voucher).status_code == 403
    voucher.refresh_from_db()
    assert voucher.state == Voucher.State.ISSUED
    assert Voucher.objects.count() == 1


def test_another_persons_voucher_is_not_reissued_from_this_page(staff_client, minji, desk_program):
    operator = staff_client("Program operator")
    voucher = voucher_make(person_make(desk_program, name="Other"), "7K3P")
    assert reissue(operator, minji, voucher).status_code == 404
    assert Voucher.objects.count() == 1


def test_a_reissue_needs_a_reason(staff_client, minji):
    operator = staff_client("Program operator")
    voucher = voucher_make(minji, "7K3P")
    reissue(operator, minji, voucher, reason="")
    voucher.refresh_from_db()
    assert voucher.state == Voucher.State.ISSUED
