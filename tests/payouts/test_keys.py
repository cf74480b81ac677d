import pytest
from django.core.management import call_command

from payouts.crypto import details_decrypt
from payouts.models import PayoutInstruction
from tests.factories import ProgramFactory
from tests.payouts.factories import claim_award

pytestmark = pytest.mark.django_db

OLD = "1:old-payout-key-of-enough-length-000000"
NEW = "2:new-payout-key-of-enough-length-111111"


def test_details_are_encrypted_and_masked():
    program = ProgramFactory.create(currency="KRW")
    _award, instruction = claim_award(program, account_number="110-123-456789")
    instruction.refresh_from_db()
    assert b"110123456789" not in bytes(instruction.details_encrypted or b"")
    assert instruction.masked == "****6789"
    assert (
        details_decrypt(bytes(instruction.details_encrypted or b""))["account_number"]
        == "110123456789"
    )


def test_rotation_moves_every_row_to_the_new_key(settings):
    settings.PAYOUT_ACCOUNT_KEYS = [OLD]
    program = ProgramFactory.create(currency="KRW")
    for n in range(5):
        claim_award(program, account_number=f"12345678901{n}")
    assert set(PayoutInstruction.objects.values_list("details_key_version", flat=True)) == {1}

    settings.PAYOUT_ACCOUNT_KEYS = [OLD, NEW]
    call_command("payouts_keys_rotate")
    assert set(PayoutInstruction.objects.values_list("details_key_version", flat=True)) == {2}

    # The old key can go: every row opens with the new one alone.
    settings.PAYOUT_ACCOUNT_KEYS = [NEW]
    numbers = {
        details_decrypt(bytes(i.details_encrypted or b""))["account_number"]
        for i in PayoutInstruction.objects.all()
    }
    assert numbers == {f"12345678901{n}" for n in range(5)}


def test_without_the_key_the_details_do_not_open(settings):
    settings.PAYOUT_ACCOUNT_KEYS = [OLD]
    program = ProgramFactory.create(currency="KRW")
    _award, instruction = claim_award(program)
    instruction.refresh_from_db()
    settings.PAYOUT_ACCOUNT_KEYS = [NEW]
    with pytest.raises(ValueError, match="No PAYOUT_ACCOUNT_KEYS key opens"):
        details_decrypt(bytes(instruction.details_encrypted or b""))
