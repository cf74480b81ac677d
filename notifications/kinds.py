"""What each notice kind may say: the variables its templates can use, and sample values for
the admin preview. The registry is explicit: a new kind is a new entry here and its templates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models


class Kind(models.TextChoices):
    INCIDENT_ANNOUNCEMENT = "incident_announcement", "Incident announcement"
    VOUCHER_ISSUED = "voucher_issued", "Vouchers issued"
    CLAIM_ACKNOWLEDGED = "claim_acknowledged", "Claim acknowledged"
    INFO_REQUESTED = "info_requested", "Information requested"
    DECISION = "decision", "Decision"
    APPEAL_OUTCOME = "appeal_outcome", "Appeal outcome"
    VOUCHER_EXPIRY_REMINDER = "voucher_expiry_reminder", "Voucher expiry reminder"
    VOUCHERS_READY = "vouchers_ready", "Vouchers ready (per holder, links to /me/)"
    PAYOUT_PAID = "payout_paid", "Payout paid"
    PAYOUT_FAILED = "payout_failed", "Payout failed (links to correct the details)"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"


# Filled in by the sender for every notice; callers never pass them.
AUTOMATIC_VARIABLES = frozenset({"reference", "verify_url", "program_name"})
# Every template must print these, so that anyone can check the notice on the site.
REQUIRED_VARIABLES = frozenset({"reference", "verify_url"})
VERIFY_PATH = "/verify/"


@dataclass(frozen=True)
class KindSpec:
    # Variables the caller (or the campaign) must supply in `context`.
    variables: frozenset[str]
    sample: dict[str, str] = field(default_factory=dict)

    @property
    def allowed(self) -> frozenset[str]:
        return self.variables | AUTOMATIC_VARIABLES


KINDS: dict[str, KindSpec] = {
    Kind.INCIDENT_ANNOUNCEMENT: KindSpec(
        variables=frozenset({"incident_title", "claim_deadline"}),
        sample={
            "incident_title": "Unauthorized access to account data",
            "claim_deadline": "2026-06-30",
        },
    ),
    Kind.VOUCHER_ISSUED: KindSpec(
        variables=frozenset({"voucher_total", "valid_from"}),
        sample={"voucher_total": "50,000 KRW", "valid_from": "2026-01-15"},
    ),
    Kind.CLAIM_ACKNOWLEDGED: KindSpec(
        variables=frozenset({"claim_reference"}),
        sample={"claim_reference": "C-7Q2M-9KXD"},
    ),
    Kind.INFO_REQUESTED: KindSpec(
        variables=frozenset({"claim_reference", "respond_by", "claim_url"}),
        sample={
            "claim_reference": "C-7Q2M-9KXD",
            "respond_by": "2026-03-01",
            "claim_url": "https://compensation.example.com/programs/demo/claims/C-7Q2M-9KXD/answer/",
        },
    ),
    Kind.DECISION: KindSpec(
        variables=frozenset({"claim_reference", "decision_summary"}),
        sample={"claim_reference": "C-7Q2M-9KXD", "decision_summary": "Approved: 30,000 KRW"},
    ),
    Kind.APPEAL_OUTCOME: KindSpec(
        variables=frozenset({"claim_reference", "outcome_summary"}),
        sample={"claim_reference": "C-7Q2M-9KXD", "outcome_summary": "Upheld: 45,000 KRW"},
    ),
    Kind.VOUCHER_EXPIRY_REMINDER: KindSpec(
        variables=frozenset({"voucher_total", "expires_on"}),
        sample={"voucher_total": "25,000 KRW", "expires_on": "2026-12-31"},
    ),
    # Per holder: the audience fills the first four for each person (run holders, in
    # vouchers/audiences.py); the link to the person's page is the campaign's.
    Kind.VOUCHERS_READY: KindSpec(
        variables=frozenset(
            {"voucher_count", "voucher_total", "valid_from", "valid_until", "me_url"}
        ),
        sample={
            "voucher_count": "4",
            "voucher_total": "50,000 KRW",
            "valid_from": "2026-01-15",
            "valid_until": "2026-04-15",
            "me_url": "https://compensation.example.com/me/",
        },
    ),
    # Payouts (payouts/notices.py): the claim, the amount and how it was paid.
    Kind.PAYOUT_PAID: KindSpec(
        variables=frozenset({"claim_reference", "amount", "method", "paid_on", "claim_url"}),
        sample={
            "claim_reference": "C-7Q2M-9KXD",
            "amount": "30,000 KRW",
            "method": "Bank transfer to ****1234",
            "paid_on": "2026-03-02",
            "claim_url": "https://compensation.example.com/programs/demo/claims/C-7Q2M-9KXD/",
        },
    ),
    Kind.PAYOUT_FAILED: KindSpec(
        variables=frozenset({"claim_reference", "amount", "method", "fix_url"}),
        sample={
            "claim_reference": "C-7Q2M-9KXD",
            "amount": "30,000 KRW",
            "method": "Bank transfer to ****1234",
            "fix_url": "https://compensation.example.com/programs/demo/claims/C-7Q2M-9KXD/payment/",
        },
    ),
}

AUTOMATIC_SAMPLE = {
    "reference": "7Q2M-9KXD-4TGB-H1ZP",
    "verify_url": "https://compensation.example.com/verify/",
    "program_name": "Account data incident compensation",
}


def sample_context(kind: str) -> dict[str, str]:
    """Values for the admin preview of a template of this kind."""
    return {**AUTOMATIC_SAMPLE, **KINDS[kind].sample}
