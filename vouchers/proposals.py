"""Starting an issuance run under four eyes (audit.proposals): the operator proposes the run
with its dry-run count and cost, another with `vouchers.issue_vouchers` approves, and only
then is the run recorded and its workers started. Registered in VouchersConfig.ready()."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import Proposal
from audit.proposals import PROPOSAL_ACTIONS, Description, ProposalAction, proposal_create
from compensation import selectors
from compensation.engine.money import money_format
from compensation.models import AwardLine, Program
from vouchers.errors import IssuanceRefused
from vouchers.models import VoucherBatch
from vouchers.services.expiry import (
    ExtensionRefused,
    validity_extension_figures,
    validity_extension_refusal,
    validity_extension_start,
)
from vouchers.services.planning import BatchPlan, voucher_window_refusal
from vouchers.services.runs import voucher_batch_start

BATCH_START = "vouchers.batch_start"


def batch_start_figures(
    plan: BatchPlan, *, chunk_size: int, confirm_name: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The params and figures of a run proposal, from the dry run the proposer saw."""
    params = {
        "award_line_ids": [line.pk for line in plan.award_lines],
        "segments": plan.segments,
        "chunk_size": chunk_size,
        "confirm_name": confirm_name,
        "policy_id": plan.policy.pk,
    }
    figures = {
        "currency": plan.program.currency,
        "policy_number": plan.policy.number,
        "award_lines": [line.code for line in plan.award_lines],
        "people": plan.people,
        "vouchers": plan.vouchers,
        "cost_minor": plan.cost_minor,
        "already_granted": plan.already_granted,
        "new_cost_minor": plan.new_cost_minor,
        "remaining_minor": plan.program.remaining_minor,
    }
    return params, figures


def batch_start_refusal(plan: BatchPlan) -> str | None:
    """Why the planned run cannot start (nothing to issue, over the budget left), or None."""
    if not plan.vouchers:
        return str(_("Nobody is eligible for these award lines under the policy."))
    if plan.new_cost_minor > plan.program.remaining_minor:
        return str(
            _("The run would commit %(cost)s and only %(left)s is left in the budget.")
            % {
                "cost": money_format(plan.new_cost_minor, plan.program.currency),
                "left": money_format(plan.program.remaining_minor, plan.program.currency),
            }
        )
    return None


def _check(program: Program, params: dict[str, Any], figures: dict[str, Any]) -> None:
    if params["confirm_name"].strip() != program.name:
        raise IssuanceRefused(_("Type the program's name exactly to confirm the run."))
    if refusal := voucher_window_refusal(program):
        raise IssuanceRefused(refusal)


def _alone(program: Program, params: dict[str, Any], figures: dict[str, Any]) -> bool:
    return bool(figures["new_cost_minor"] < settings.FOUR_EYES_ISSUANCE_RUN_MINOR)


def _start(
    program: Program, params: dict[str, Any], actor: Any, ip_address: str | None
) -> dict[str, Any]:
    published = selectors.policy_published(program)
    if published is None or published.pk != params["policy_id"]:
        raise IssuanceRefused(
            _("Another policy was published after this run was proposed: propose it again.")
        )
    lines = list(AwardLine.objects.filter(program=program, pk__in=params["award_line_ids"]))
    if len(lines) != len(params["award_line_ids"]):
        raise IssuanceRefused(_("An award line of this run no longer exists."))
    batch = voucher_batch_start(
        program=program,
        award_lines=lines,
        segments=params["segments"],
        confirm_name=params["confirm_name"],
        chunk_size=params["chunk_size"],
        actor=actor,
        ip_address=ip_address,
    )
    return {
        "batch_id": batch.pk,
        "vouchers_planned": batch.vouchers_planned,
        "cost_planned_minor": batch.cost_planned_minor,
    }


def _describe(proposal: Proposal, program: Program | None) -> Description:
    f = proposal.figures
    money = lambda minor: money_format(minor, f["currency"])  # noqa: E731
    rows: list[tuple[Any, str]] = [
        (_("Program"), str(program) if program else proposal.object_repr),
        (_("Policy version"), str(f["policy_number"])),
        (_("Award lines"), ", ".join(f["award_lines"])),
        (_("Segments"), ", ".join(proposal.params["segments"]) or str(_("all"))),
        (_("Eligible people"), f"{f['people']:,}"),
        (_("Vouchers"), f"{f['vouchers']:,}"),
        (_("Cost"), money(f["cost_minor"])),
        (_("Already granted for these lines"), f"{f['already_granted']:,}"),
        (_("New commitment (about)"), money(f["new_cost_minor"])),
        (_("Budget left when proposed"), money(f["remaining_minor"])),
    ]
    if program is not None:
        rows.append((_("Budget left now"), money(program.remaining_minor)))
    return rows


# --- Extending a validity window in bulk (vouchers/services/expiry.py) --------------------------
VALIDITY_EXTEND = "vouchers.validity_extend"


def validity_extend_proposal(
    *,
    program: Program,
    batch: VoucherBatch | None,
    valid_until: dt.datetime,
    reason: str,
    actor: Any,
    ip_address: str | None = None,
) -> Proposal:
    """Propose extending the window of a run's (or, without one, the whole program's)
    vouchers to `valid_until`, with what it would move as its figures. Refused
    (ExtensionRefused, nothing written) when the extension could not be made."""
    if refusal := validity_extension_refusal(program=program, batch=batch, valid_until=valid_until):
        raise ExtensionRefused(refusal)
    if not reason.strip():
        raise ExtensionRefused(_("Say why the window is extended."))
    figures = validity_extension_figures(program=program, batch=batch, valid_until=valid_until)
    params = {
        "batch_id": batch.pk if batch is not None else None,
        "valid_until": valid_until.isoformat(),
        "reason": reason.strip(),
    }
    return proposal_create(
        action=VALIDITY_EXTEND,
        target=program,
        params=params,
        figures=figures,
        actor=actor,
        reason=reason.strip(),
        ip_address=ip_address,
    )


def _extension_batch(program: Program, params: dict[str, Any]) -> VoucherBatch | None:
    if params["batch_id"] is None:
        return None
    batch = VoucherBatch.objects.filter(pk=params["batch_id"], program=program).first()
    if batch is None:
        raise ExtensionRefused(_("The run of this extension no longer exists."))
    return batch


def _extension_check(program: Program, params: dict[str, Any], figures: dict[str, Any]) -> None:
    refusal = validity_extension_refusal(
        program=program,
        batch=_extension_batch(program, params),
        valid_until=dt.datetime.fromisoformat(params["valid_until"]),
    )
    if refusal:
        raise ExtensionRefused(refusal)


def _extension_execute(
    program: Program, params: dict[str, Any], actor: Any, ip_address: str | None
) -> dict[str, Any]:
    extension = validity_extension_start(
        program=program,
        batch=_extension_batch(program, params),
        valid_until=dt.datetime.fromisoformat(params["valid_until"]),
        reason=params["reason"],
        actor=actor,
        ip_address=ip_address,
    )
    return {"extension_id": extension.pk, "voucher_id_max": extension.voucher_id_max}


def _when(value: str | None) -> str:
    if not value:
        return str(_("no end"))
    return f"{timezone.localtime(dt.datetime.fromisoformat(value)):%Y-%m-%d %H:%M %Z}"


def _extension_describe(proposal: Proposal, program: Program | None) -> Description:
    f = proposal.figures
    batch_id = proposal.params["batch_id"]
    scope = (
        str(_("Run %(run)s") % {"run": batch_id})
        if batch_id
        else str(_("Every voucher of the program"))
    )
    return [
        (_("Program"), str(program) if program else proposal.object_repr),
        (_("Vouchers"), scope),
        (_("Valid until now"), _when(f["previous_until"])),
        (_("Valid until after the extension"), _when(f["valid_until"])),
        (_("Vouchers moved"), f"{f['vouchers']:,}"),
        (_("Usable vouchers with value left"), f"{f['vouchers_with_value']:,}"),
        (_("Value kept usable"), money_format(f["value_left_minor"], f["currency"])),
        (_("People told"), f"{f['people']:,}"),
        (_("Reason"), proposal.params["reason"]),
    ]


def proposals_register() -> None:
    PROPOSAL_ACTIONS[VALIDITY_EXTEND] = ProposalAction(
        label=_("Extend the validity window of vouchers in bulk"),
        target_model="compensation.program",
        permission="vouchers.issue_vouchers",
        execute=_extension_execute,
        describe=_extension_describe,
        check=_extension_check,
    )
    PROPOSAL_ACTIONS[BATCH_START] = ProposalAction(
        label=_("Start a voucher issuance run"),
        target_model="compensation.program",
        permission="vouchers.issue_vouchers",
        execute=_start,
        describe=_describe,
        check=_check,
        alone=_alone,
    )
