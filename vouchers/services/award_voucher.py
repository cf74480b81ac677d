"""One voucher that pays one claim award (the payouts app's "voucher" method), reached
through compensation's AWARD_VOUCHER_ISSUE registry so payouts never imports vouchers.

What the voucher is, decided here:
- its amount and currency are the award's (the award already holds the budget: nothing is
  reserved again);
- its service is the program's first voucher award line (by position), the service the
  program's own vouchers are for: a voucher row is good at one service (`service_scope`);
- valid from now (or from the program's voucher start, if that is later) until the
  program's voucher validity ends (none set: no end);
- it belongs to the award's affected person, so it shows on their /wallet/ and /me/.
No voucher is made (None) for an award with no affected person (a claimant without an
affected record has no wallet), a program without a voucher award line, or a program whose
voucher validity has ended (it would be born expired)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from audit.services import audit_record
from compensation.models import Award, AwardLine
from compensation.models.choices import AwardKind
from vouchers.models import Voucher
from vouchers.services.codes import CodeMaker

ACTOR_LABEL = "job:payouts"


def _reference(voucher_id: int) -> str:
    return f"voucher-{voucher_id}"


def _live(award_id: int) -> Voucher | None:
    return Voucher.objects.filter(award_id=award_id).exclude(state=Voucher.State.VOID).first()


def voucher_for_award_issue(*, award_id: int) -> str | None:
    """Issue the award's voucher and return its reference ("voucher-<id>"), or None when none
    can be made (see the module). Idempotent: an award with a live voucher gets that one's
    reference and nothing is written (unique voucher_one_live_per_award backs this against a
    concurrent call). Runs in the caller's transaction, in a savepoint of its own, with an
    audit row, so the voucher commits or rolls back with the payout it pays."""
    award = Award.objects.select_related("program").get(pk=award_id)
    if award.person_id is None:
        return None
    live = _live(award_id)
    if live is not None:
        return _reference(live.pk)
    program = award.program
    line = (
        AwardLine.objects.filter(program=program, kind=AwardKind.VOUCHER)
        .order_by("position", "id")
        .first()
    )
    if line is None:
        return None
    now = timezone.now()
    valid_from = max(now, program.voucher_valid_from or now)
    valid_until = program.voucher_valid_until
    if valid_until is not None and valid_until <= valid_from:
        return None
    # A voided voucher of the award (voided and not reissued) keeps its generation's code.
    last = Voucher.objects.filter(award_id=award_id).aggregate(g=Max("generation"))["g"] or 0
    maker = CodeMaker()
    code_hash, last4 = maker.make(award_id, last + 1)
    try:
        with transaction.atomic():
            voucher = Voucher.objects.create(
                award_id=award_id,
                generation=last + 1,
                program_id=program.pk,
                person_id=award.person_id,
                service_scope=line.service_scope or line.code,
                amount_minor=award.amount_minor,
                currency=award.currency,
                code_hash=code_hash,
                hash_key_version=maker.hash_version,
                derive_key_version=maker.derive_version,
                last4=last4,
                valid_from=valid_from,
                valid_until=valid_until,
                issued_at=now,
            )
            audit_record(
                action="voucher.issue_for_award",
                obj=voucher,
                actor_label=ACTOR_LABEL,
                program_id=program.pk,
                after={
                    "award": award_id,
                    "amount_minor": award.amount_minor,
                    "service_scope": voucher.service_scope,
                },
            )
    except IntegrityError:
        # A concurrent call made it first (the live-per-award or the code's unique index).
        live = _live(award_id)
        if live is None:
            raise
        return _reference(live.pk)
    return _reference(voucher.pk)
