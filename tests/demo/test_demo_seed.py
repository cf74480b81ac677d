"""The demo is alive on the day it is seeded: windows open around today, vouchers issued by
the real run and usable in a wallet, claims filed, dashboard figures computed; a second seed
issues nothing again."""

import datetime as dt
import io
import uuid

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.roles import PAYMENTS_OFFICER, PROGRAM_OPERATOR, roles_sync
from compensation.models import Program
from demo import data
from demo.signin import demo_claimant, staff_ensure
from notifications.models import NoticeTemplate
from oversight.models import ProgramSnapshot
from payouts.errors import FourEyes
from payouts.models import PayoutBatch, PayoutInstruction, PayoutOffer
from payouts.services.batches import (
    payout_batch_create,
    payout_batch_preview,
    payout_batch_release,
)
from tests.support import notice_templates_seed
from vouchers.models import Voucher, VoucherBatch

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _demo_isolated(settings, tmp_path, monkeypatch):
    """A small population, files and the demo password under tmp_path, own rate-limit keys,
    and what a flushed database lost (role groups, notice templates) put back."""
    monkeypatch.setattr("demo.management.commands.demo_seed.DEMO_PEOPLE", 120)
    settings.BASE_DIR = tmp_path
    settings.IMPORT_ROOT = tmp_path / "imports"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"t{uuid.uuid4().hex[:12]}"}
    }
    roles_sync(apps)
    if not NoticeTemplate.objects.exists():
        notice_templates_seed()


def _seed(*args) -> str:
    out = io.StringIO()
    call_command("demo_seed", *args, stdout=out)
    return out.getvalue()


def test_the_demo_is_dated_from_today_with_usable_vouchers_claims_and_figures():
    output = _seed("--no-signin")
    now = timezone.now()
    program = Program.objects.get(slug=data.PROGRAM["slug"])
    assert program.claim_opens_at
    assert program.claim_closes_at
    assert program.incident.detected_at
    assert program.voucher_valid_from
    assert program.voucher_valid_until
    assert program.claim_opens_at < now - dt.timedelta(days=14) < now < program.claim_closes_at
    assert program.voucher_valid_from < now - dt.timedelta(days=2)
    assert program.voucher_valid_until - program.voucher_valid_from >= dt.timedelta(days=89)
    assert program.incident.detected_at < program.claim_opens_at
    [batch] = VoucherBatch.objects.filter(program=program)
    assert batch.status == VoucherBatch.Status.DONE
    assert batch.vouchers_planned > 0
    usable = Voucher.objects.filter(
        program=program,
        state=Voucher.State.ISSUED,
        valid_from__lte=now,
        valid_until__gt=now,
    )
    assert usable.count() == batch.vouchers_planned
    assert program.claims.filter(status="submitted").exists()
    assert ProgramSnapshot.objects.get(program=program).figures["vouchers"]
    person = demo_claimant(program)
    assert person is not None
    assert person.claims.exists()
    assert person.vouchers.filter(state=Voucher.State.ISSUED).count()
    assert "Vouchers: run" in output
    assert "Staff sign in" not in output

    again = _seed("--no-signin")
    assert "none issued again" in again
    assert VoucherBatch.objects.count() == 1
    assert Voucher.objects.count() == batch.vouchers_planned

    signin = io.StringIO()
    call_command("demo_signin", stdout=signin)
    block = signin.getvalue()
    assert block.count("  backup codes: ") == 5
    assert "Payments officer: payments@demo.local" in block
    assert "/admin/payouts/payoutbatch/build/" in block
    assert person.email in block
    assert ".local/mail/" in block
    assert "/wallet/" in block


def test_a_demo_whose_voucher_window_has_ended_issues_nothing_and_says_why(monkeypatch):
    dated = data.program_dates

    def ended(today):  # the vouchers' window ended months ago; claims are still open
        return {
            **dated(today - dt.timedelta(days=200)),
            "claim_closes_at": dated(today)["claim_closes_at"],
        }

    monkeypatch.setattr("demo.management.commands.demo_seed.data.program_dates", ended)
    output = _seed("--no-signin")
    assert "Vouchers not issued" in output
    assert "delete .local/pgdata" in output
    assert not VoucherBatch.objects.exists()
    assert not Voucher.objects.exists()


def test_the_operator_builds_a_batch_of_the_demo_and_the_payments_officer_releases_it():
    """The payouts part of the Done-when journey, on the seeded demo: bank transfer offered,
    the demo claimant's approved claim chose it (encrypted, shown masked), a batch built by
    the operator is refused to the operator and released by the payments officer."""
    output = _seed("--no-signin")
    program = Program.objects.get(slug=data.PROGRAM["slug"])
    assert "approved claims to be paid by bank transfer" in output
    assert PayoutOffer.objects.get(program=program).methods == ["bank_transfer"]
    person = demo_claimant(program)
    assert person is not None
    claim = person.claims.get(status="approved")
    instruction = PayoutInstruction.objects.get(program=program, claim_reference=claim.reference)
    assert instruction.method == "bank_transfer"
    assert instruction.masked.startswith("****")
    assert instruction.details_encrypted

    staff = staff_ensure()
    officer = staff[PAYMENTS_OFFICER]
    assert TOTPDevice.objects.filter(user=officer, confirmed=True).exists()
    assert officer.has_perm("payouts.release_payoutbatch")
    count, total = payout_batch_preview(program=program, method="bank_transfer")
    assert count == PayoutInstruction.objects.filter(program=program).count() > 0
    batch = payout_batch_create(
        program=program, method="bank_transfer", actor=staff[PROGRAM_OPERATOR], build_now=True
    )
    assert (batch.payouts_count, batch.total_minor) == (count, total)
    with pytest.raises(FourEyes):
        payout_batch_release(batch=batch, actor=staff[PROGRAM_OPERATOR])
    released = payout_batch_release(batch=batch, actor=officer)
    assert released.status == PayoutBatch.Status.RELEASED

    again = _seed("--no-signin")  # a second seed sets no choice again
    assert "approved claims to be paid by bank transfer" not in again
