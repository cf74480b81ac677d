"""What a claim's state means to the claimant, in their language: what happens next and by
when, and the reasons for a decision (the engine's rule texts, or staff reason codes)."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from claims.models import Claim
from claims.services.review import DENY_REASONS
from compensation.engine import reason_text

S = Claim.Status

_SHOWN_NOTES = {"amount", "cap_per_claim", "cap_per_person", "hours_cap", "offset_proactive"}


def claim_outlook(claim: Claim) -> str:
    """One plain sentence: where the claim is and what happens next."""
    sentences: dict[str, str] = {
        S.SUBMITTED: _("We have your claim. A member of our team will review it."),
        S.IN_REVIEW: _("A member of our team is reviewing your claim."),
        S.INFO_REQUESTED: _("We need one more thing from you before we can decide."),
        S.REFERRED: _("Your claim is with a specialist for a closer look."),
        S.PENDING_APPROVAL: _("Your claim is waiting for a final approval."),
        S.APPROVED: _("Your claim was approved."),
        S.DENIED: _("Your claim was not approved."),
        S.APPEALED: _(
            "A senior reviewer who did not make the first decision is looking at your appeal."
        ),
    }
    return sentences[claim.status]


def claim_reasons(claim: Claim, language: str) -> list[str]:
    """Decision reasons for a decided claim, in `language`; none while it is being decided
    (the checks in progress are not for the claimant to second-guess)."""
    if claim.status not in (S.APPROVED, S.DENIED):
        return []
    texts = []
    with translation.override(language):
        for result in claim.decision_reasons:
            code, passed = result.get("code", ""), result.get("passed", True)
            if code.startswith("score.") and claim.decided_by_id is None:
                if code == f"score.{claim.screening_outcome}":
                    texts.append(reason_text(code, True, {}, language))
            elif result.get("source") == "staff":
                texts.append(str(DENY_REASONS.get(code, code)))
            elif (
                claim.status == S.APPROVED
                and code in _SHOWN_NOTES
                and not (code == "amount" and claim.amount_decided_minor is not None)
            ) or (claim.status == S.DENIED and not passed and result.get("effect") == "deny"):
                texts.append(reason_text(code, passed, result.get("params", {}), language))
    return texts
