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
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], ClaimError) and errors[0].code == "already_filed"
    assert Claim.objects.count() == 1
