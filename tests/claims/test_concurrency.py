"""Races on real PostgreSQL connections: the database, not Python, keeps one claim."""

import pytest

from claims.errors import ClaimError
from claims.models import Claim
from compensation.models import Award
from tests.claims.helpers import file_claim
from tests.support import race

pytestmark = pytest.mark.django_db(transaction=True)


def _race(target, count=2):
    outcomes = race(target, count)
    errors = [o for o in outcomes if isinstance(o, Exception)]
    return [o for o in outcomes if not isinstance(o, Exception)], errors


def test_two_submits_with_one_idempotency_key_make_one_claim_and_one_award(
    program, documented, claimant
):
    from claims.services import claim_document_add
    from tests.claims.conftest import pdf

    claim_document_add(claimant=claimant, draft_key="same", kind="receipt", upload=pdf())

    def submit(_):
        return file_claim(
            program=program, claim_type=documented, claimant=claimant, key="same", documents=()
        )

    results, errors = _race(submit)
    assert not errors
    assert {claim.pk for claim, _ in results} == {Claim.objects.get().pk}
    assert sorted(created for _, created in results) == [False, True]
    assert Award.objects.count() == 1


def test_two_different_submits_of_one_claim_type_by_one_person_leave_one_claim(
    program, documented, claimant
):
    def submit(i):
        return file_claim(
            program=program, claim_type=documented, claimant=claimant, key=f"key-{i}", documents=()
        )

    results, errors = _race(submit)
    assert len(results) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], ClaimError)
    assert errors[0].code == "already_filed"
    assert Claim.objects.count() == 1


def test_a_submit_storm_on_one_review_page_makes_one_claim_and_spends_the_limits_once(
    client, program, documented, good_faith, person, settings
):
    from django.conf import settings as live
    from django.test import Client
    from django.urls import reverse

    from compensation.claimant_session import Claimant
    from compensation.hashing import email_hash
    from config.ratelimit import Rate, rate_remaining
    from tests.claims.conftest import claimant_session, pdf

    claimant_session(client, person=person)
    details = reverse("claims:details", args=[program.slug, documented.code])
    review_url = client.post(details, {"amount": "45000", "doc_receipt": pdf()})["Location"]
    cookie = client.cookies[live.SESSION_COOKIE_NAME].value

    def submit(_):
        browser = Client()
        browser.cookies[live.SESSION_COOKIE_NAME] = cookie  # the same session, 20 tabs
        response = browser.post(review_url)
        return response.status_code, response.get("Location")

    answers = race(submit, 20)
    claim = Claim.objects.get()
    status_url = reverse("claims:status", args=[program.slug, claim.reference])
    assert answers == [(302, status_url)] * 20
    identity = email_hash(person.email)
    assert identity is not None
    limit, window = settings.CLAIMS_THROTTLES["submit_identity"]
    assert rate_remaining(Rate("claims.submit_identity", limit, window), identity) == limit - 1
    limit, window = settings.CLAIMS_THROTTLES["submit_network"]
    assert rate_remaining(Rate("claims.submit_network", limit, window), "127.0.0.0/24") == limit - 1
    # Not locked out: the same person files another kind of claim.
    _other, created = file_claim(
        program=program,
        claim_type=good_faith,
        claimant=Claimant(person=person, email_hash=identity),
        key="another",
        documents=("proof_of_purchase",),
    )
    assert created
    assert Claim.objects.count() == 2
