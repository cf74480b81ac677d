"""Staff decisions on a claim: assign, approve (with a second approver above the line), deny,
request information, refer to an expert, note. Each is one transaction with its event, its
audit row and, where the claimant must hear of it, its notice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from claims import notices
from claims.errors import ClaimError
from claims.models import Claim, ClaimEvent
from claims.services.awarding import claim_award_fields
from claims.services.common import claim_transition
from claims.services.info_deadlines import claim_no_answer_rule, info_due_at
from claims.services.screening import claim_amount_limit
from compensation.engine.money import money_format

if TYPE_CHECKING:
    from accounts.models import User

S = Claim.Status
DECIDABLE = (S.SUBMITTED, S.IN_REVIEW, S.INFO_REQUESTED, S.REFERRED, S.APPEALED)

# Reasons staff give for a denial; the claimant reads them in their language.
DENY_REASONS = {
    "not_affected": _("We could not confirm that your account was affected by the incident."),
    "loss_not_shown": _("The documents do not show a loss caused by the incident."),
    "documents_invalid": _("The documents could not be verified."),
    "already_compensated": _("This loss has already been compensated."),
    "outside_period": _("The claim was filed outside the claim period."),
    "no_answer": _("We did not receive the information we asked for by the deadline."),
}


def _require(actor: User | None, perm: str) -> None:
    if actor is None or not actor.has_perm(perm):
        raise ClaimError(_("You are not allowed to do this."), code="forbidden", status=403)


def _appeal_check(claim: Claim, actor: User) -> None:
    """An appeal is decided by a senior reviewer who did not make the first decision."""
    if claim.status != S.APPEALED:
        return
    _require(actor, "claims.decide_high_value")
    if claim.decided_by_id == actor.pk:
        raise ClaimError(
            _("An appeal must be decided by someone other than the first decision-maker."),
            code="same_reviewer",
            status=403,
        )


def _filer_check(claim: Claim, actor: User) -> None:
    """The agent who filed a claim for a claimant (assisted filing) never approves it, neither
    as the first approver nor as the second."""
    if claim.filed_by_id is not None and claim.filed_by_id == actor.pk:
        raise ClaimError(
            _("You filed this claim for the claimant: someone else must approve it."),
            code="filed_by_actor",
            status=403,
        )


def claim_assign(
    *, claims: list[Claim], assignee: User | None, actor: User, ip_address: str | None = None
) -> int:
    """Give open claims to `assignee` (None: unassign). Returns how many changed."""
    _require(actor, "claims.change_claim")
    ids = [c.pk for c in claims if c.is_open]
    with transaction.atomic(durable=True):
        changed = Claim.objects.filter(pk__in=ids, status__in=Claim.OPEN_STATUSES).update(
            assigned_to=assignee
        )
        label = f"user:{actor.pk}"
        note = f"assigned to user:{assignee.pk}" if assignee else "unassigned"
        ClaimEvent.objects.bulk_create(
            [
                ClaimEvent(claim_id=i, kind="assigned", note=note, internal=True, actor_label=label)
                for i in ids
            ]
        )
        for claim_id in ids:
            audit_record(
                action="claim.assign",
                object_type="claims.claim",
                object_id=str(claim_id),
                actor=actor,
                ip_address=ip_address,
                after={"assigned_to": assignee.pk if assignee else None},
            )
    return changed


def claim_approve(
    *, claim: Claim, amount_minor: int, actor: User, note: str = "", ip_address: str | None = None
) -> Claim:
    """Approve `amount_minor` (within the claim's limits). Above the second-approver line the
    first approval only proposes the amount; a different person holding
    claims.decide_high_value completes it. The agent who filed the claim for the claimant
    approves it at neither step (_filer_check). Completing writes the award (or the pro-rata
    entitlement) and queues the decision notice, in one transaction."""
    _require(actor, "claims.change_claim")
    with transaction.atomic(durable=True):
        claim = (
            Claim.objects.select_for_update(of=("self",))
            .select_related("program", "claim_type", "person")
            .get(pk=claim.pk)
        )
        _filer_check(claim, actor)
        if claim.status == S.PENDING_APPROVAL:
            _require(actor, "claims.decide_high_value")
            if claim.first_approver_id == actor.pk:
                raise ClaimError(
                    _("A second approver must be someone other than the first."),
                    code="same_approver",
                    status=403,
                )
            if amount_minor > (claim.proposed_amount_minor or 0):
                raise ClaimError(
                    _("The second approver cannot raise the proposed amount."), code="amount"
                )
            return _approve_final(claim, amount_minor, actor, note, ip_address, S.PENDING_APPROVAL)
        if claim.status not in DECIDABLE:
            raise ClaimError(_("This claim cannot be approved now."), code="conflict", status=409)
        _appeal_check(claim, actor)
        limit = claim_amount_limit(claim)
        if amount_minor <= 0 or amount_minor > limit:
            raise ClaimError(
                _("The amount must be more than 0 and at most %(limit)s.")
                % {"limit": money_format(limit, claim.program.currency)},
                code="amount",
            )
        if amount_minor > settings.CLAIMS_SECOND_APPROVER_MINOR:
            return claim_transition(
                claim=claim,
                allowed_from=(claim.status,),
                to_status=S.PENDING_APPROVAL,
                kind="approval_proposed",
                actor=actor,
                note=note,
                ip_address=ip_address,
                fields={"proposed_amount_minor": amount_minor, "first_approver": actor},
                audit_after={"proposed_amount_minor": amount_minor},
            )
        return _approve_final(claim, amount_minor, actor, note, ip_address, claim.status)


def _approve_final(
    claim: Claim,
    amount_minor: int,
    actor: User,
    note: str,
    ip_address: str | None,
    from_status: str,
) -> Claim:
    appeal = from_status == S.APPEALED or bool(claim.appealed_at)
    fields = claim_award_fields(claim=claim, amount_minor=amount_minor, actor=actor)
    fields.update(decided_at=timezone.now(), decided_by=actor, due_at=None)
    claim = claim_transition(
        claim=claim,
        allowed_from=(from_status,),
        to_status=S.APPROVED,
        kind="approved",
        actor=actor,
        note=note,
        ip_address=ip_address,
        fields=fields,
        audit_after={"amount_decided_minor": amount_minor},
    )
    claim.due_at = None
    notices.notice_decision(claim=claim, appeal=appeal)
    return claim


def claim_deny(
    *,
    claim: Claim,
    reason_codes: list[str],
    actor: User,
    note: str = "",
    ip_address: str | None = None,
) -> Claim:
    """Deny with one or more reason codes (DENY_REASONS), shown to the claimant in their
    language; the claimant may appeal within CLAIMS_APPEAL_DAYS (once)."""
    _require(actor, "claims.change_claim")
    unknown = set(reason_codes) - set(DENY_REASONS)
    if not reason_codes or unknown:
        raise ClaimError(_("Choose at least one reason for the denial."), code="reasons")
    with transaction.atomic(durable=True):
        claim = (
            Claim.objects.select_for_update(of=("self",))
            .select_related("program", "person")
            .get(pk=claim.pk)
        )
        if claim.status not in (*DECIDABLE, S.PENDING_APPROVAL):
            raise ClaimError(_("This claim cannot be denied now."), code="conflict", status=409)
        _appeal_check(claim, actor)
        appeal = claim.status == S.APPEALED
        reasons = [r for r in claim.decision_reasons if r.get("source") != "staff"] + [
            {"code": code, "source": "staff", "passed": False, "effect": "deny", "params": {}}
            for code in reason_codes
        ]
        claim = claim_transition(
            claim=claim,
            allowed_from=(claim.status,),
            to_status=S.DENIED,
            kind="denied",
            actor=actor,
            note=note,
            ip_address=ip_address,
            fields={
                "decision_reasons": reasons,
                "decided_at": timezone.now(),
                "decided_by": actor,
                "amount_decided_minor": 0,
                "due_at": None,
            },
            audit_after={"reasons": reason_codes},
        )
        notices.notice_decision(claim=claim, appeal=appeal)
    return claim


def claim_request_info(
    *,
    claim: Claim,
    message: str,
    actor: User,
    document_kind: str = "",
    days: int | None = None,
    ip_address: str | None = None,
) -> Claim:
    """Ask the claimant for one missing document or answer, with a deadline (the end of the
    day, CLAIMS_INFO_DAYS from now); they get a notice that links to the answer page and says
    what happens without an answer (the policy's rule, claims.services.info_deadlines)."""
    _require(actor, "claims.change_claim")
    if not message.strip():
        raise ClaimError(_("Write what the claimant should send."), code="message")
    due = info_due_at(days=days or settings.CLAIMS_INFO_DAYS)
    with transaction.atomic(durable=True):
        claim = claim_transition(
            claim=claim,
            allowed_from=(S.SUBMITTED, S.IN_REVIEW, S.REFERRED, S.APPEALED),
            to_status=S.INFO_REQUESTED,
            kind="info_requested",
            actor=actor,
            note=message,
            ip_address=ip_address,
            fields={
                "info_request": message,
                "info_document_kind": document_kind,
                "info_due_at": due,
                "due_at": due,
            },
        )
        rounds = claim.events.filter(kind="info_requested").count()
        notices.notice_info_requested(
            claim=claim, round_number=rounds, on_no_answer=claim_no_answer_rule(claim)
        )
    return claim


def claim_refer(
    *, claim: Claim, expert: User, actor: User, note: str = "", ip_address: str | None = None
) -> Claim:
    """Hand the claim to an outside expert, who sees only the claims referred to them."""
    _require(actor, "claims.change_claim")
    with transaction.atomic(durable=True):
        return claim_transition(
            claim=claim,
            allowed_from=(S.SUBMITTED, S.IN_REVIEW, S.APPEALED),
            to_status=S.REFERRED,
            kind="referred",
            actor=actor,
            note=note,
            ip_address=ip_address,
            fields={"referred_to": expert},
            audit_after={"referred_to": expert.pk},
        )


def claim_start_review(*, claim: Claim, actor: User, ip_address: str | None = None) -> Claim:
    """Take a submitted (or referred-back) claim into review and assign it to oneself."""
    _require(actor, "claims.change_claim")
    with transaction.atomic(durable=True):
        return claim_transition(
            claim=claim,
            allowed_from=(S.SUBMITTED, S.REFERRED),
            to_status=S.IN_REVIEW,
            kind="review_started",
            actor=actor,
            ip_address=ip_address,
            fields={"assigned_to": actor},
        )


def claim_note_add(
    *, claim: Claim, note: str, actor: User, ip_address: str | None = None
) -> ClaimEvent:
    """An internal note (staff and the referred expert only; never shown to the claimant)."""
    if actor is None or not (
        actor.has_perm("claims.change_claim") or claim.referred_to_id == actor.pk
    ):
        raise ClaimError(_("You are not allowed to do this."), code="forbidden", status=403)
    if not note.strip():
        raise ClaimError(_("The note is empty."), code="message")
    with transaction.atomic(durable=True):
        event = ClaimEvent.objects.create(
            claim=claim, kind="note", note=note, internal=True, actor_label=f"user:{actor.pk}"
        )
        audit_record(action="claim.note", obj=claim, actor=actor, ip_address=ip_address)
    return event
