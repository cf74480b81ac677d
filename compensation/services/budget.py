"""Changing a program's budget. The admin reaches it through a proposal (four eyes,
compensation/proposals.py); tests and the shell may call it directly."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audit.services import Actor, audit_record
from compensation.engine.money import money_format
from compensation.errors import CompensationError
from compensation.models import Program


class BudgetChangeRefused(CompensationError):
    code = "budget_change_refused"
    field = "budget_minor"  # the form field the refusal is about


def program_budget_refusal(*, program: Program, budget_minor: int) -> str | None:
    """Why `budget_minor` cannot be the program's budget now, or None: never below zero, below
    what is already committed, or below the claim pool (which the budget must hold)."""
    if budget_minor < 0:
        return str(_("A budget cannot be negative."))
    if budget_minor < program.committed_minor:
        return str(
            _(
                "The program has already committed %(committed)s: the budget cannot go below "
                "it. Reverse awards first, or choose at least that amount."
            )
            % {"committed": money_format(program.committed_minor, program.currency)}
        )
    if program.claim_pool_minor is not None and budget_minor < program.claim_pool_minor:
        return str(
            _("The budget must hold the claim pool of %(pool)s.")
            % {"pool": money_format(program.claim_pool_minor, program.currency)}
        )
    return None


def program_budget_change(
    *,
    program: Program,
    budget_minor: int,
    expected_budget_minor: int | None = None,
    actor: Actor = None,
    actor_label: str = "",
    ip_address: str | None = None,
) -> Program:
    """Set the program's budget, audited with the old and new amounts.

    Refused (BudgetChangeRefused, nothing written) below what is committed, below the claim
    pool or below zero, and, given `expected_budget_minor`, when the budget is no longer that
    (someone changed it after the figures were read). The program row is locked first, so a
    grant reserving at the same moment waits and then sees the new budget; the CHECK
    program_committed_within_budget backs this."""
    with transaction.atomic():
        locked = Program.objects.select_for_update().get(pk=program.pk)
        if expected_budget_minor is not None and locked.budget_minor != expected_budget_minor:
            raise BudgetChangeRefused(
                _(
                    "The budget is now %(now)s, not the %(expected)s this change was made "
                    "from. Propose the change again from the current budget."
                )
                % {
                    "now": money_format(locked.budget_minor, locked.currency),
                    "expected": money_format(expected_budget_minor, locked.currency),
                }
            )
        if refusal := program_budget_refusal(program=locked, budget_minor=budget_minor):
            raise BudgetChangeRefused(refusal)
        before = locked.budget_minor
        locked.budget_minor = budget_minor
        locked.save(update_fields=["budget_minor", "updated_at"])
        audit_record(
            action="program.budget_change",
            obj=locked,
            actor=actor,
            actor_label=actor_label,
            ip_address=ip_address,
            before={"budget_minor": before},
            after={"budget_minor": budget_minor, "committed_minor": locked.committed_minor},
        )
    program.budget_minor = locked.budget_minor
    return locked
