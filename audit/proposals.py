"""Four eyes on money: a money action is a Proposal that one staff member makes, with the
figures they were shown, and a different one, holding the action's permission, approves.
Only then is the action done, in the approval's transaction.

The actions are an explicit registry, `PROPOSAL_ACTIONS`, filled by the apps that own them in
their AppConfig.ready() (compensation: policy publish and budget change; vouchers: issuance
run start; claims: pool settle), so the audit app imports no domain app. The services an
action calls stay callable directly (tests, the shell, jobs): the admin goes through here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import Proposal
from audit.services import Actor, _plain, actor_user, audit_program_id, audit_record
from config.db import violated_constraint
from config.errors import DomainError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from accounts.models import User

Params = dict[str, Any]
# What the approver reads: (label, value) rows, already formatted (money with its currency).
Description = Sequence[tuple["StrOrPromise", str]]


class ProposalRefused(DomainError):
    code = "proposal_refused"
    status = 409


class FourEyes(ProposalRefused):
    """The proposer tried to approve or reject their own proposal."""

    code = "proposal_four_eyes"
    status = 403


@dataclass(frozen=True)
class ProposalAction:
    """One kind of money action.

    `execute(target, params, actor, ip_address)` does it (calling the owning app's service)
    and returns JSON-ready figures of what was done; a DomainError means refused, and nothing
    of it is kept. `describe(proposal, target)` is what the approver reads. `check(target,
    params, figures)` (optional) refuses a proposal that could not be done (raising a
    DomainError) so nobody is asked to approve it. `alone(target, params, figures)`
    (optional) is True when a threshold lets the proposer act without a second person."""

    label: StrOrPromise
    target_model: str  # the model label of the object the action is about
    permission: str  # to propose, to approve and to reject
    execute: Callable[[Any, Params, User, str | None], dict[str, Any]]
    describe: Callable[[Proposal, Any], Description]
    check: Callable[[Any, Params, Params], None] | None = None
    alone: Callable[[Any, Params, Params], bool] | None = None


# action name ("policy.publish") -> its action; filled in the owning apps' ready().
PROPOSAL_ACTIONS: dict[str, ProposalAction] = {}


def proposal_action(name: str) -> ProposalAction:
    try:
        return PROPOSAL_ACTIONS[name]
    except KeyError:
        raise ProposalRefused(_("No such action."), code="unknown_action") from None


def proposal_target(proposal: Proposal) -> Any:
    """The object the proposal is about (None if it is gone)."""
    model = apps.get_model(proposal_action(proposal.action).target_model)
    return model._default_manager.filter(pk=proposal.object_id).first()


def _staff(actor: Actor, action: ProposalAction) -> User:
    user = actor_user(actor)
    if user is None or not user.is_staff:
        raise ProposalRefused(_("A proposal is made and decided by a staff member."))
    if not user.has_perm(action.permission):
        raise ProposalRefused(
            _("You do not have the permission this action needs."),
            code="not_permitted",
            status=403,
        )
    return user


def proposal_create(
    *,
    action: str,
    target: models.Model,
    params: Params,
    figures: Params,
    actor: Actor,
    reason: str = "",
    ip_address: str | None = None,
) -> Proposal:
    """Propose `action` on `target`, recording the figures the proposer was shown. Returns
    the open proposal; or, where the action's threshold lets one person act, the proposal
    already executed (`alone`), the action done in the same transaction.

    Refused (ProposalRefused or the action's own DomainError, nothing written) for someone
    without the action's permission, for an action its check refuses, and while another
    proposal of the same action on the same object is open (the partial unique index
    proposal_one_open_per_target holds that under concurrency)."""
    registered = proposal_action(action)
    user = _staff(actor, registered)
    if target._meta.label_lower != registered.target_model:
        raise ValueError(f"{action} is about {registered.target_model}, not {target._meta}")
    if registered.check is not None:
        registered.check(target, params, figures)
    alone = registered.alone is not None and registered.alone(target, params, figures)
    with transaction.atomic():
        try:
            with transaction.atomic():
                proposal = Proposal.objects.create(
                    action=action,
                    object_type=registered.target_model,
                    object_id=str(target.pk),
                    object_repr=str(target)[:200],
                    program_id=audit_program_id(target),
                    params=_plain(params),
                    figures=_plain(figures),
                    reason=reason,
                    proposed_by=user,
                    alone=alone,
                    status=Proposal.Status.EXECUTED if alone else Proposal.Status.PROPOSED,
                    decided_at=timezone.now() if alone else None,
                )
        except IntegrityError as exc:
            if violated_constraint(exc) != "proposal_one_open_per_target":
                raise
            raise ProposalRefused(
                _(
                    "This is already proposed and waiting for approval: approve, reject or "
                    "withdraw that proposal first."
                ),
                code="already_proposed",
            ) from exc
        _audit(proposal, "proposal.create", user, ip_address, {"figures": proposal.figures})
        if alone:
            proposal.result = _plain(registered.execute(target, params, user, ip_address))
            proposal.save(update_fields=["result"])
            _audit(
                proposal, "proposal.execute_alone", user, ip_address, {"result": proposal.result}
            )
    return proposal


def proposal_approve(
    *, proposal: Proposal, actor: Actor, ip_address: str | None = None
) -> Proposal:
    """Approve an open proposal and do its action, in one transaction: the decision, the
    action's effect and the audit rows of both commit together. If the action refuses (its
    DomainError: the budget changed since, a newer dry run, nothing left to settle), nothing
    of the effect is kept and the proposal is recorded as failed, with the reason.

    Refused (ProposalRefused, nothing written) for the proposer (FourEyes; the CHECK
    proposal_four_eyes backs it in the database), for someone without the action's
    permission, and for a proposal no longer open: of two approvals at once, the second waits
    for the first's row lock and is refused, so the action is done once."""
    registered = proposal_action(proposal.action)
    user = _staff(actor, registered)
    with transaction.atomic():
        locked = _open_locked(proposal)
        if locked.proposed_by_id == user.pk:
            raise FourEyes(_("A proposal must be approved by someone other than its proposer."))
        target = proposal_target(locked)
        locked.decided_by, locked.decided_at = user, timezone.now()
        try:
            if target is None:
                raise ProposalRefused(_("What this proposal is about no longer exists."))
            with transaction.atomic():  # a savepoint: a refusal leaves nothing of the effect
                result = registered.execute(target, locked.params, user, ip_address)
        except DomainError as exc:
            locked.status = Proposal.Status.FAILED
            locked.result = {"refused": str(exc.message), "code": exc.code}
            locked.save(update_fields=["status", "decided_by", "decided_at", "result"])
            _audit(locked, "proposal.fail", user, ip_address, locked.result)
            return locked
        locked.status = Proposal.Status.EXECUTED
        locked.result = _plain(result)
        locked.save(update_fields=["status", "decided_by", "decided_at", "result"])
        _audit(locked, "proposal.approve", user, ip_address, {"result": locked.result})
    return locked


def proposal_reject(
    *, proposal: Proposal, actor: Actor, note: str = "", ip_address: str | None = None
) -> Proposal:
    """Reject an open proposal: nothing of the action is done. Refused (nothing written) for
    the proposer (who withdraws instead), for someone without the action's permission and
    for a proposal no longer open."""
    user = _staff(actor, proposal_action(proposal.action))
    with transaction.atomic():
        locked = _open_locked(proposal)
        if locked.proposed_by_id == user.pk:
            raise FourEyes(_("Withdraw your own proposal instead of rejecting it."))
        locked.status = Proposal.Status.REJECTED
        locked.decided_by, locked.decided_at, locked.decision_note = user, timezone.now(), note
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        _audit(locked, "proposal.reject", user, ip_address, {"note": note})
    return locked


def proposal_withdraw(
    *, proposal: Proposal, actor: Actor, ip_address: str | None = None
) -> Proposal:
    """The proposer takes back an open proposal: nothing of the action is done. Refused for
    anyone else and for a proposal no longer open."""
    user = actor_user(actor)
    with transaction.atomic():
        locked = _open_locked(proposal)
        if user is None or locked.proposed_by_id != user.pk:
            raise ProposalRefused(
                _("Only its proposer can withdraw a proposal."), code="not_proposer", status=403
            )
        locked.status, locked.decided_at = Proposal.Status.WITHDRAWN, timezone.now()
        locked.save(update_fields=["status", "decided_at"])
        _audit(locked, "proposal.withdraw", user, ip_address, None)
    return locked


def _open_locked(proposal: Proposal) -> Proposal:
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.status != Proposal.Status.PROPOSED:
        raise ProposalRefused(
            _("This proposal is no longer waiting for approval (%(status)s).")
            % {"status": locked.get_status_display()},
            code="not_open",
        )
    return locked


def _audit(
    proposal: Proposal, action: str, user: User, ip_address: str | None, extra: Params | None
) -> None:
    audit_record(
        action=action,
        obj=proposal,
        actor=user,
        ip_address=ip_address,
        program_id=proposal.program_id,
        after={
            "action": proposal.action,
            "object_type": proposal.object_type,
            "object_id": proposal.object_id,
            "params": proposal.params,
            "status": proposal.status,
            **(extra or {}),
        },
    )
