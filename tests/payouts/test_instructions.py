import pytest

from payouts.models import PayoutInstruction
from tests.factories import ProgramFactory
from tests.payouts.factories import claim_award

pytestmark = pytest.mark.django_db


def test_payment_choices_of_drafts_never_submitted_are_purged_with_the_drafts():
    import datetime as dt

    from django.utils import timezone

    from claims.services.drafts import claims_drafts_purge
    from payouts.services.instructions import instruction_draft_save

    program = ProgramFactory.create(currency="KRW")
    _award, bound = claim_award(program)
    stale = instruction_draft_save(
        program=program,
        owner_email_hash=b"s" * 32,
        draft_key="stale-draft",
        method="bank_transfer",
        bank_code="004",
        fields={"account_number": "123456789012", "holder": "Lee"},
    )
    fresh = instruction_draft_save(
        program=program,
        owner_email_hash=b"f" * 32,
        draft_key="fresh-draft",
        method="bank_transfer",
        bank_code="004",
        fields={"account_number": "123456789013", "holder": "Park"},
    )
    PayoutInstruction.objects.filter(pk__in=[stale.pk, bound.pk]).update(
        created_at=timezone.now() - dt.timedelta(days=3)
    )
    claims_drafts_purge()
    assert set(PayoutInstruction.objects.values_list("pk", flat=True)) == {bound.pk, fresh.pk}
