"""Settling a pro-rata pool under four eyes (audit.proposals): one staff member proposes the
settlement with the claims waiting and their total, another holding
`compensation.settle_program` approves, and only then are the awards written. Registered in
ClaimsConfig.ready()."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from audit.models import Proposal
from audit.proposals import PROPOSAL_ACTIONS, Description, ProposalAction
from claims.services.pool import claims_pool_settle, pool_waiting
from compensation.engine.money import money_format
from compensation.errors import CompensationError
from compensation.models import Program
from compensation.services.pool import pool_projected_factor

POOL_SETTLE = "program.pool_settle"


def pool_settle_figures(program: Program) -> tuple[dict[str, Any], dict[str, Any]]:
    """The params and figures of a settlement proposal: the claims waiting now."""
    waiting = pool_waiting(program).aggregate(n=Count("id"), total=Sum("entitlement_minor"))
    claims, entitled = waiting["n"] or 0, waiting["total"] or 0
    pool = program.claim_pool_minor or 0
    params = {"claims": claims, "entitled_minor": entitled}
    figures = {
        "currency": program.currency,
        "claims": claims,
        "entitled_minor": entitled,
        "pool_minor": pool,
        "factor": str(pool_projected_factor(pool_minor=pool, entitled_minor=entitled)),
    }
    return params, figures


def _check(program: Program, params: dict[str, Any], figures: dict[str, Any]) -> None:
    if program.allocation != Program.Allocation.PRO_RATA or program.claim_pool_minor is None:
        raise CompensationError(_("This program has no pro-rata pool to settle."))
    if program.pool_factor is not None:
        raise CompensationError(_("This pool has already been settled."))


def _settle(
    program: Program, params: dict[str, Any], actor: Any, ip_address: str | None
) -> dict[str, Any]:
    now, _figures = pool_settle_figures(program)
    if now != params:
        # The approver would settle claims nobody was shown.
        raise CompensationError(
            _("Claims were approved or changed after this was proposed: propose it again.")
        )
    paid = claims_pool_settle(program=program, actor=actor)
    program.refresh_from_db(fields=["pool_factor"])
    return {"claims_paid": paid, "factor": program.pool_factor}


def _describe(proposal: Proposal, program: Program | None) -> Description:
    f = proposal.figures
    money = lambda minor: money_format(minor, f["currency"])  # noqa: E731
    return [
        (_("Program"), str(program) if program else proposal.object_repr),
        (_("Approved claims waiting"), f"{f['claims']:,}"),
        (_("Their approved amounts"), money(f["entitled_minor"])),
        (_("Claim pool"), money(f["pool_minor"])),
        (_("Factor every amount is scaled by"), f["factor"]),
    ]


def proposals_register() -> None:
    PROPOSAL_ACTIONS[POOL_SETTLE] = ProposalAction(
        label=_("Settle a pro-rata pool"),
        target_model="compensation.program",
        permission="compensation.settle_program",
        execute=_settle,
        describe=_describe,
        check=_check,
    )
