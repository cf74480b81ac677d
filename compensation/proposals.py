"""Compensation's money actions under four eyes (audit.proposals): publishing a policy
version and changing a program's budget. Registered in CompensationConfig.ready()."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from audit.models import Proposal
from audit.proposals import PROPOSAL_ACTIONS, Description, ProposalAction
from compensation.engine.money import money_format
from compensation.errors import PolicyInvalid
from compensation.models import DryRun, PolicyVersion, Program
from compensation.services.budget import (
    BudgetChangeRefused,
    program_budget_change,
    program_budget_refusal,
)
from compensation.services.forecast import program_forecast
from compensation.services.policy import policy_publish

POLICY_PUBLISH = "policy.publish"
BUDGET_CHANGE = "program.budget_change"


def policy_publish_figures(policy: PolicyVersion) -> tuple[dict[str, Any], dict[str, Any]]:
    """The params and figures of a publish proposal: the latest finished dry run's."""
    dry_run = policy.dry_runs.filter(status=DryRun.Status.DONE).order_by("-id").first()
    if dry_run is None:
        raise PolicyInvalid(_("Run a dry run of this version before publishing it."))
    figures = {
        "number": policy.number,
        "people_total": dry_run.people_total,
        "people_eligible": dry_run.people_eligible,
        "cost_minor": dry_run.cost_minor,
        "budget_minor": dry_run.budget_minor,
        "currency": policy.program.currency,
    }
    return {"dry_run_id": dry_run.pk}, figures


def _publish_check(policy: PolicyVersion, params: dict[str, Any], figures: dict[str, Any]) -> None:
    if policy.status != PolicyVersion.Status.DRAFT:
        raise PolicyInvalid(_("Only a draft can be published."))
    policy_publish_figures(policy)


def _publish(
    policy: PolicyVersion, params: dict[str, Any], actor: Any, ip_address: str | None
) -> dict[str, Any]:
    latest = policy.dry_runs.filter(status=DryRun.Status.DONE).order_by("-id").first()
    if latest is None or latest.pk != params["dry_run_id"]:
        # The approver would publish on figures nobody was shown.
        raise PolicyInvalid(
            _("A newer dry run was made after this was proposed: propose the publication again.")
        )
    published = policy_publish(policy=policy, actor=actor, ip_address=ip_address)
    return {"number": published.number, "published_at": published.published_at}


def _publish_describe(proposal: Proposal, policy: PolicyVersion | None) -> Description:
    f = proposal.figures
    money = lambda minor: money_format(minor, f["currency"])  # noqa: E731
    rows: list[tuple[Any, str]] = [
        (_("Policy version"), str(policy) if policy else proposal.object_repr),
        (_("People in the dry run"), f"{f['people_total']:,}"),
        (_("Eligible"), f"{f['people_eligible']:,}"),
        (_("Cost in the dry run"), money(f["cost_minor"])),
        (_("Budget at the dry run"), money(f["budget_minor"])),
    ]
    if policy is not None:
        rows.append((_("Budget now"), money(policy.program.budget_minor)))
    return rows


def budget_change_figures(
    program: Program, budget_minor: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The params and figures of a budget change proposal."""
    forecast = program_forecast(program=program)
    params = {"budget_minor": budget_minor, "from_budget_minor": program.budget_minor}
    figures = {
        "currency": program.currency,
        "committed_minor": program.committed_minor,
        "forecast_total_minor": forecast.forecast_total_minor,
    }
    return params, figures


def _budget_check(program: Program, params: dict[str, Any], figures: dict[str, Any]) -> None:
    if refusal := program_budget_refusal(program=program, budget_minor=params["budget_minor"]):
        raise BudgetChangeRefused(refusal)
    if params["budget_minor"] == program.budget_minor:
        raise BudgetChangeRefused(_("This is the budget already."))


def _budget_alone(program: Program, params: dict[str, Any], figures: dict[str, Any]) -> bool:
    change = abs(params["budget_minor"] - params["from_budget_minor"])
    return change < settings.FOUR_EYES_BUDGET_CHANGE_MINOR


def _budget_change(
    program: Program, params: dict[str, Any], actor: Any, ip_address: str | None
) -> dict[str, Any]:
    changed = program_budget_change(
        program=program,
        budget_minor=params["budget_minor"],
        expected_budget_minor=params["from_budget_minor"],
        actor=actor,
        ip_address=ip_address,
    )
    return {"budget_minor": changed.budget_minor}


def _budget_describe(proposal: Proposal, program: Program | None) -> Description:
    p, f = proposal.params, proposal.figures
    money = lambda minor: money_format(minor, f["currency"])  # noqa: E731
    change = p["budget_minor"] - p["from_budget_minor"]
    rows: list[tuple[Any, str]] = [
        (_("Program"), str(program) if program else proposal.object_repr),
        (_("Budget when proposed"), money(p["from_budget_minor"])),
        (_("Proposed budget"), money(p["budget_minor"])),
        (_("Change"), ("+" if change > 0 else "") + money(change)),
        (_("Committed when proposed"), money(f["committed_minor"])),
        (_("Forecast total when proposed"), money(f["forecast_total_minor"])),
    ]
    if program is not None:
        rows.append((_("Budget now"), money(program.budget_minor)))
        rows.append((_("Committed now"), money(program.committed_minor)))
    return rows


def proposals_register() -> None:
    PROPOSAL_ACTIONS[POLICY_PUBLISH] = ProposalAction(
        label=_("Publish a policy version"),
        target_model="compensation.policyversion",
        permission="compensation.publish_policyversion",
        execute=_publish,
        describe=_publish_describe,
        check=_publish_check,
    )
    PROPOSAL_ACTIONS[BUDGET_CHANGE] = ProposalAction(
        label=_("Change a program's budget"),
        target_model="compensation.program",
        permission="compensation.change_program",
        execute=_budget_change,
        describe=_budget_describe,
        check=_budget_check,
        alone=_budget_alone,
    )
