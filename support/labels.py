"""What the desk shows instead of stored codes, in the staff member's language. A code with
no label here is shown as it is stored, so a new one is visible rather than hidden."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from support.query import Kind

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    Labels = dict[str, StrOrPromise]

MATCHED_BY: Labels = {
    Kind.EMAIL: _("email address"),
    Kind.PHONE: _("phone number"),
    Kind.EXTERNAL_ID: _("account id"),
    Kind.NAME: _("name"),
    Kind.CLAIM: _("claim reference"),
    Kind.NOTICE: _("notice reference"),
    Kind.VOUCHER: _("voucher's last four and name"),
}

DATA_CATEGORIES: Labels = {
    "name": _("Name"),
    "email": _("Email address"),
    "phone": _("Phone number"),
    "address": _("Postal address"),
    "payment": _("Payment data"),
    "national_id": _("National ID number"),
    "password_hash": _("Password hash"),
    "order_history": _("Order history"),
    "stored_value": _("Stored-value card or voucher"),
}

ACCOUNT_STATUSES: Labels = {
    "active": _("Active"),
    "dormant": _("Dormant"),
    "closed": _("Closed"),
}

LANGUAGES: Labels = {"ko": _("Korean"), "en": _("English"), "zh-hans": _("Chinese")}

AWARD_SOURCES: Labels = {"proactive": _("Given to everyone affected"), "claim": _("On a claim")}
AWARD_KINDS: Labels = {
    "voucher": _("Voucher"),
    "credit": _("Account credit"),
    "cash": _("Cash reimbursement"),
    "replacement": _("Replacement"),
    "goodwill": _("Goodwill gesture"),
}
AWARD_STATUSES: Labels = {
    "granted": _("Granted"),
    "delivered": _("Delivered"),
    "reversed": _("Reversed"),
}

VOUCHER_STATES: Labels = {
    "issued": _("Usable"),
    "redeemed": _("Redeemed"),
    "frozen": _("Frozen"),
    "void": _("Void (replaced or cancelled)"),
}

CLAIM_STATUSES: Labels = {
    "submitted": _("Submitted"),
    "in_review": _("In review"),
    "info_requested": _("Information requested"),
    "referred": _("Referred to an expert"),
    "pending_approval": _("Waiting for a second approver"),
    "approved": _("Approved"),
    "denied": _("Denied"),
    "appealed": _("Appealed"),
}

CLAIM_CHANNELS: Labels = {
    "online": _("online"),
    "phone": _("by phone"),
    "visit": _("in person"),
    "paper": _("on paper"),
}

PAYOUT_METHODS: Labels = {
    "bank_transfer": _("Bank transfer"),
    "account_credit": _("Account credit at the service"),
    "voucher": _("Voucher of the approved amount"),
}
PAYOUT_STATUSES: Labels = {
    "batched": _("In a batch, not released"),
    "released": _("Released, waiting for the result"),
    "paid": _("Paid"),
    "failed": _("Failed"),
    "returned": _("Returned by the bank"),
    "cancelled": _("Taken out before release"),
}

NOTICE_KINDS: Labels = {
    "incident_announcement": _("Incident announcement"),
    "voucher_issued": _("Vouchers issued"),
    "claim_acknowledged": _("Claim acknowledged"),
    "info_requested": _("Information requested"),
    "info_reminder": _("Reminder: information requested"),
    "decision": _("Decision"),
    "appeal_outcome": _("Appeal outcome"),
    "voucher_expiry_reminder": _("Voucher expiry reminder"),
    "vouchers_ready": _("Vouchers ready"),
    "payout_paid": _("Payment made"),
    "payout_failed": _("Payment failed"),
    "inquiry_received": _("Question received"),
    "inquiry_reply": _("Answer to an inquiry"),
    "claim_message": _("Message about a claim"),
}
NOTICE_CHANNELS: Labels = {"email": _("Email"), "sms": _("Text message")}
NOTICE_STATUSES: Labels = {
    "pending": _("Waiting to be sent"),
    "sending": _("Being sent"),
    "sent": _("Sent"),
    "failed": _("Failed"),
}

# The audit actions a person's trail can hold.
AUDIT_ACTIONS: Labels = {
    "support.search": _("Found in a search"),
    "support.person_view": _("Page viewed by staff"),
    "notice.resend": _("Notice sent again"),
    "notice.retry": _("Failed notice retried"),
    "award.grant": _("Award granted"),
    "award.deliver": _("Award delivered"),
    "award.reverse": _("Award reversed"),
    "voucher.freeze": _("Voucher frozen"),
    "voucher.unfreeze": _("Voucher unfrozen"),
    "voucher.void_reissue": _("Voucher voided and reissued"),
    "voucher.redeem": _("Voucher redeemed"),
    "voucher.reverse": _("Redemption reversed"),
    "voucher.issue_for_award": _("Voucher issued for an award"),
    "claim.submit": _("Claim submitted"),
    "claim.assign": _("Claim assigned"),
    "claim.note": _("Internal note added"),
    "claim.feedback": _("Feedback given"),
    "claim.approved": _("Claim approved"),
    "claim.auto_decided": _("Claim decided automatically"),
    "claim.denied": _("Claim denied"),
    "claim.info_requested": _("Information requested"),
    "claim.info_received": _("Information received"),
    "claim.referred": _("Referred to an expert"),
    "claim.review_started": _("Review started"),
    "claim.appeal": _("Appealed"),
    "claim.appealed": _("Appealed"),
    "claim.approval_proposed": _("Approval proposed, waiting for a second approver"),
    "claim.assigned": _("Claim assigned"),
    "claim.submitted": _("Claim submitted"),
    "claim.payment_changed": _("Payment choice changed"),
    "payout.instruction_set": _("Payment details given"),
    "payout.instruction_change": _("Payment details changed"),
    "payout.settle": _("Payment settled"),
}


def label(labels: Labels, code: str) -> StrOrPromise:
    return labels.get(code, code)


def actor_text(actor_email: str | None, actor_label: str) -> StrOrPromise:
    """Who acted, as a person reads it: the staff member's email, not "user:3"."""
    if actor_email:
        return actor_email
    kind = actor_label.split(":", 1)[0]
    return {
        "job": _("Automatic job"),
        "claimant": _("The claimant"),
        "service": _("Integrating service"),
        "user": _("A staff member"),
    }.get(kind, actor_label)
