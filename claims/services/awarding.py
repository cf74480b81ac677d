"""Turning an approval into money: an award in the ledger for a fixed-allocation program, or a
recorded entitlement that the pro-rata pool pays at its settlement."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from audit.services import Actor
from claims.errors import ClaimError
from claims.models import Claim
from compensation.errors import AlreadyAwarded, BudgetExceeded
from compensation.models import Program
from compensation.models.choices import AwardKind
from compensation.services.ledger import award_grant


def claim_award_fields(
    *, claim: Claim, amount_minor: int, actor: Actor = None, actor_label: str = ""
) -> dict:
    """Grant `amount_minor` for the claim (inside the caller's transaction) and return the
    claim fields that record it. ClaimError and nothing written if the budget cannot pay."""
    program = claim.program
    if program.allocation == Program.Allocation.PRO_RATA:
        return {"entitlement_minor": amount_minor, "amount_decided_minor": amount_minor}
    try:
        award = award_grant(
            program=program,
            kind=AwardKind.CASH,
            amount_minor=amount_minor,
            source="claim",
            person=claim.person,
            claim_type=claim.claim_type,
            claim_reference=claim.reference,
            policy=claim.policy,
            explanation={"claim": claim.reference, "reasons": claim.decision_reasons},
            actor=actor,
            actor_label=actor_label,
        )
    except BudgetExceeded as exc:
        raise ClaimError(
            _("The program's remaining budget cannot pay this amount."), code="budget_exceeded"
        ) from exc
    except AlreadyAwarded as exc:
        raise ClaimError(_("This claim has already been paid."), code="already_awarded") from exc
    return {"award": award, "amount_decided_minor": amount_minor}
