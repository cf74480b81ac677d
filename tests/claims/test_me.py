"""The person's own page (/me/): coverage and why, vouchers (code on demand, owner only),
claims and notices, in a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim
from compensation.hashing import email_hash
from notifications.models import Notice
from notifications.references import reference_display
from tests.factories import ClaimantPersonFactory, ClaimFactory, ClaimTypeFactory
from tests.payouts.factories import claim_award
from tests.vouchers.conftest import run_issue, voucher_program_make
from tests.vouchers.helpers import code_of
from vouchers.models import Voucher

pytestmark = pytest.mark.django_db

EMAIL = "me@example.com"
ACCOUNT = "123456789012"


@pytest.fixture(autouse=True)
def _no_dispatch(monkeypatch):
    monkeypatch.setattr("vouchers.services.runs.voucher_batch_dispatch", lambda **kw: None)


def _sign_in(client, person, email=EMAIL):
    session = client.session
    session["claimant_person_id"] = person.pk if person else None
    digest = email_hash(email)
    assert digest is not None
    session["claimant_email_hash"] = digest.hex()
    session.save()


def _program_with_me(number: int, *, status="active"):
    program = voucher_program_make(name=f"Program {number}", account_statuses=["active"])
    person = ClaimantPersonFactory.create(program=program, email=EMAIL, account_status=status)
    return program, person


def _notice(person, kind="voucher_issued"):
    return Notice.objects.create(
        kind=kind,
        channel="email",
        language="en",
        to_address=EMAIL,
        program=person.program,
        person=person,
        status=Notice.Status.SENT,
        attempts=1,
        sent_at=timezone.now(),
    )


def _approved_claim_paid_by_bank(program, person) -> Claim:
    """An approved claim of the person, with its award and a bank transfer chosen."""
    owner = email_hash(EMAIL)
    assert owner is not None
    award, _instruction = claim_award(
        program, amount_minor=30_000, owner_email_hash=owner, account_number=ACCOUNT
    )
    return ClaimFactory.create(
        program=program,
        person=person,
        claim_type=ClaimTypeFactory.create(program=program),
        reference=award.claim_reference,
        status=Claim.Status.APPROVED,
        amount_decided_minor=30_000,
        award=award,
    )


def _world(count: int):
    """`count` programs the person is in, each with their four vouchers, a claim, an approved
    claim paid by bank transfer and a notice."""
    people = []
    for number in range(count):
        program, person = _program_with_me(number)
        run_issue(program)
        ClaimFactory.create(
            program=program,
            person=person,
            claim_type=ClaimTypeFactory.create(program=program),
        )
        _approved_claim_paid_by_bank(program, person)
        _notice(person)
        people.append(person)
    return people


def test_after_sign_in_without_a_next_page_the_claimant_lands_on_me(client, settings):
    program, _person = _program_with_me(0)
    session = client.session
    session["claims_signin_email"] = EMAIL
    session.save()
    from claims.views import signin

    class Request:
        POST: dict = {}  # noqa: RUF012
        GET: dict = {}  # noqa: RUF012

        def get_host(self):
            return "testserver"

        def is_secure(self):
            return False

    assert signin._next(Request(), program.slug) == reverse("claims:me")


def test_me_shows_coverage_vouchers_without_codes_claims_and_notices(client):
    (person,) = _world(1)
    _sign_in(client, person)
    response = client.get(reverse("claims:me"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    html = response.content.decode()
    assert "You are on the list of affected accounts and covered by this program." in html
    assert "Your account status (active) is covered." in html
    vouchers = list(Voucher.objects.filter(person=person))
    assert len(vouchers) == 4
    assert not any(code_of(v) in html for v in vouchers)
    assert "Food delivery (Eats)" in html
    assert "20,000" in html
    for claim in Claim.objects.filter(person=person):
        assert claim.reference in html
    # The approved claim's payment, in the claim page's words, with the way to change it.
    approved = Claim.objects.get(person=person, status=Claim.Status.APPROVED)
    assert "How we will pay you: Bank transfer, KB Kookmin Bank ****9012." in html
    assert reverse("claims:payment", args=[approved.program.slug, approved.reference]) in html
    assert ACCOUNT not in html
    notice = Notice.objects.get(person=person)
    assert reference_display(notice.reference) in html
    assert reverse("vouchers:code", args=[vouchers[0].pk]) in html


def test_header_links_to_me_only_while_signed_in(client):
    (person,) = _world(1)
    me = reverse("claims:me")
    assert f'href="{me}"' not in client.get(reverse("claims:home")).content.decode()
    _sign_in(client, person)
    assert f'href="{me}"' in client.get(reverse("claims:home")).content.decode()


def test_a_closed_account_sees_not_covered_with_the_reason_and_what_it_can_do(client):
    program, person = _program_with_me(0, status="closed")
    _sign_in(client, person)
    html = client.get(reverse("claims:me"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Not covered by the automatic compensation of this program." in html
    assert "Accounts with the status &#x27;closed&#x27; are not covered by this program." in html
    assert reverse("claims:start", args=[program.slug]) in html
    assert "You have no vouchers in this program." in html


def test_the_korean_page_explains_a_closed_account_in_korean(client):
    _program, person = _program_with_me(0, status="closed")
    _sign_in(client, person)
    html = client.get(reverse("claims:me"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert 'lang="ko"' in html
    assert "Not covered" not in html
    assert "closed" not in html
    assert "Accounts with the status" not in html


def test_someone_not_on_the_list_sees_their_claims_and_that_they_are_not_on_it(client):
    program, _person = _program_with_me(0)
    claim = ClaimFactory.create(
        program=program,
        person=None,
        claimant_email_hash=email_hash("buyer@example.com"),
        claim_type=ClaimTypeFactory.create(program=program, requires_affected_record=False),
    )
    _sign_in(client, None, email="buyer@example.com")
    html = client.get(reverse("claims:me"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "is not on this program&#x27;s list of affected accounts" in html
    assert claim.reference in html


def test_the_code_is_shown_on_demand_to_its_owner_only(client):
    (person,) = _world(1)
    voucher = Voucher.objects.filter(person=person).order_by("id").first()
    assert voucher is not None
    url = reverse("vouchers:code", args=[voucher.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 404  # not signed in
    _other_program, other = _program_with_me(1)
    other.email = "other@example.com"
    other.email_hash = email_hash(other.email)
    other.save(update_fields=["email", "email_hash"])
    _sign_in(client, other, email="other@example.com")
    response = client.post(url)
    assert response.status_code == 404
    assert code_of(voucher) not in response.content.decode()
    _sign_in(client, person)
    response = client.post(url)
    assert response.status_code == 200
    assert code_of(voucher) in response.content.decode()
    assert response["Referrer-Policy"] == "no-referrer"


def test_me_needs_a_sign_in(client):
    response = client.get(reverse("claims:me"))
    assert response.status_code == 403


@pytest.mark.parametrize("count", [1, 20])
def test_me_costs_a_fixed_number_of_queries(client, count):
    people = _world(count)
    _sign_in(client, people[0])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("claims:me"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.content.decode().count("<section") == count
    # 9 before payouts (8 used), plus one: the approved claims' payment choices with their
    # latest payouts (9 used).
    assert len(queries) <= 10, [q["sql"][:80] for q in queries.captured_queries]
