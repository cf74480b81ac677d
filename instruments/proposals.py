"""Lifting the freeze of compromised instruments under four eyes (audit.proposals): a
lifted card holds its loaded value and works again for whoever has it, who may be the
person it was stolen from or the one who resold it; so one operator proposes the lift with
the count and value it frees, and another with `instruments.freeze_instruments` approves.
Registered in InstrumentsConfig.ready()."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from audit.models import Proposal
from audit.proposals import PROPOSAL_ACTIONS, Description, ProposalAction, proposal_create
from compensation.engine.money import money_format
from compensation.models import Program
from instruments.errors import InstrumentError
from instruments.services.freeze import (
    instruments_unfreeze,
    instruments_unfreeze_figures,
    instruments_unfreeze_refusal,
)

UNFREEZE = "instruments.unfreeze"


def instruments_unfreeze_propose(
    *,
    program: Program,
    instrument_ids: list[int],
    reason: str,
    actor: Any,
    ip_address: str | None = None,
) -> Proposal:
    """Propose lifting the freeze of the program's `instrument_ids`, with what it frees as
    the figures. Refused (InstrumentError or ProposalRefused, nothing written) without a
    reason, for a selection that could not be lifted, and while another lift of the program
    waits for approval."""
    reason = reason.strip()
    if not reason:
        raise InstrumentError(_("Give the reason for lifting the freeze."), code="unfreeze_reason")
    ids = sorted(set(instrument_ids))
    if refusal := instruments_unfreeze_refusal(program=program, instrument_ids=ids):
        raise InstrumentError(refusal, code="unfreeze_refused")
    return proposal_create(
        action=UNFREEZE,
        target=program,
        params={"instrument_ids": ids, "reason": reason},
        figures=instruments_unfreeze_figures(program=program, instrument_ids=ids),
        actor=actor,
        reason=reason,
        ip_address=ip_address,
    )


def _check(program: Program, params: dict[str, Any], figures: dict[str, Any]) -> None:
    if refusal := instruments_unfreeze_refusal(
        program=program, instrument_ids=params["instrument_ids"]
    ):
        raise InstrumentError(refusal, code="unfreeze_refused")


def _execute(
    program: Program, params: dict[str, Any], actor: Any, ip_address: str | None
) -> dict[str, Any]:
    count = instruments_unfreeze(
        program=program,
        instrument_ids=params["instrument_ids"],
        reason=params["reason"],
        actor=actor,
        ip_address=ip_address,
    )
    return {"unfrozen": count}


def _describe(proposal: Proposal, program: Program | None) -> Description:
    f = proposal.figures
    rows: list[tuple[Any, str]] = [
        (_("Program"), str(program) if program else proposal.object_repr),
        (_("Instruments chosen"), f"{f['chosen']:,}"),
        (_("Frozen when proposed"), f"{f['frozen']:,}"),
        (_("Loaded value made usable again"), money_format(f["value_minor"], f["currency"])),
        (_("Reason"), proposal.params["reason"]),
    ]
    if program is not None:
        now = instruments_unfreeze_figures(
            program=program, instrument_ids=proposal.params["instrument_ids"]
        )
        rows.append((_("Frozen now"), f"{now['frozen']:,}"))
        rows.append((_("With a good-faith claim now"), f"{now['claimed']:,}"))
    return rows


def proposals_register() -> None:
    PROPOSAL_ACTIONS[UNFREEZE] = ProposalAction(
        label=_("Lift the freeze of compromised instruments"),
        target_model="compensation.program",
        permission="instruments.freeze_instruments",
        execute=_execute,
        describe=_describe,
        check=_check,
    )
