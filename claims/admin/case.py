"""The case page: everything about one claim on one screen, and the decisions staff take."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from accounts.roles import OUTSIDE_EXPERT
from audit.services import client_ip
from claims.admin.pool import PoolSettleMixin
from claims.admin.queue import QueueMixin
from claims.errors import ClaimError
from claims.models import CannedResponse, Claim
from claims.services import (
    claim_approve,
    claim_assign,
    claim_deny,
    claim_note_add,
    claim_refer,
    claim_request_info,
    claim_start_review,
)
from claims.services.review import DENY_REASONS
from claims.services.screening import claim_amount_limit
from compensation.engine import reason_text

EXPERT_GROUP = OUTSIDE_EXPERT

SIGNAL_TEXT = {
    "duplicate_identity": "Another claimant (a different email) has claimed for this person.",
    "network_burst": "Many claims came from the same network within 24 hours.",
    "shared_payout": "The same bank account appears on claims of other claimants.",
    "reused_document": "A document with the same content (SHA-256) is on other claims.",
}


def _amount(value: str) -> int:
    try:
        return int(value.replace(",", "").strip())
    except (AttributeError, ValueError):
        raise ClaimError("Enter the amount as a whole number of minor units.") from None


@admin.register(Claim)
class ClaimAdmin(PoolSettleMixin, QueueMixin, admin.ModelAdmin):
    def has_add_permission(self, request):
        return False  # claims are filed by claimants

    def has_delete_permission(self, request, obj=None):
        return False  # the record of a claim is kept

    def change_view(self, request, object_id, form_url="", extra_context=None):
        claim = (
            self.get_queryset(request)
            .select_related("decided_by", "first_approver", "award", "policy")
            .filter(pk=object_id)
            .first()
        )
        if claim is None:
            raise Http404
        if not self.has_view_permission(request, claim):
            raise PermissionDenied
        if request.method == "POST":
            self._act(request, claim)
            return HttpResponseRedirect(request.path)
        return render(request, "claims/admin/case.html", self._context(request, claim))

    def _act(self, request, claim: Claim) -> None:
        data, user, ip = request.POST, request.user, client_ip(request)
        action = data.get("action", "")
        try:
            if action == "start_review":
                claim_start_review(claim=claim, actor=user, ip_address=ip)
            elif action == "assign_me":
                claim_assign(claims=[claim], assignee=user, actor=user, ip_address=ip)
            elif action == "approve":
                claim_approve(
                    claim=claim,
                    amount_minor=_amount(data.get("amount_minor", "")),
                    actor=user,
                    note=data.get("note", ""),
                    ip_address=ip,
                )
            elif action == "deny":
                claim_deny(
                    claim=claim,
                    reason_codes=data.getlist("reasons"),
                    actor=user,
                    note=data.get("note", ""),
                    ip_address=ip,
                )
            elif action == "request_info":
                claim_request_info(
                    claim=claim,
                    message=data.get("message", ""),
                    actor=user,
                    document_kind=data.get("document_kind", ""),
                    ip_address=ip,
                )
            elif action == "refer":
                expert = (
                    get_user_model()
                    .objects.filter(pk=data.get("expert") or 0, groups__name=EXPERT_GROUP)
                    .first()
                )
                if expert is None:
                    raise ClaimError("Choose an expert.")
                claim_refer(
                    claim=claim, expert=expert, actor=user, note=data.get("note", ""), ip_address=ip
                )
            elif action == "note":
                claim_note_add(claim=claim, note=data.get("note", ""), actor=user, ip_address=ip)
            else:
                raise ClaimError("Unknown action.")
        except ClaimError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, "Done.")

    def _context(self, request, claim: Claim) -> dict:
        user = request.user
        can_change = user.has_perm("claims.change_claim")
        results = [
            {
                **r,
                "text": reason_text(r["code"], r.get("passed", True), r.get("params", {}), "en")
                if r.get("source") != "staff"
                else str(DENY_REASONS.get(r["code"], r["code"])),
            }
            for r in claim.decision_reasons
        ]
        documents = list(claim.documents.order_by("created_at", "id"))
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Claim {claim.reference}",
            "claim": claim,
            "person": claim.person,
            "results": results,
            "signals": [
                {**s, "text": SIGNAL_TEXT.get(s["code"], s["code"])} for s in claim.signals or []
            ],
            "documents": documents,
            "events": list(claim.events.order_by("created_at", "id")),
            "canned": list(CannedResponse.objects.filter(is_active=True)),
            "deny_reasons": [(code, str(text)) for code, text in DENY_REASONS.items()],
            "experts": list(get_user_model().objects.filter(groups__name=EXPERT_GROUP)),
            "can_change": can_change,
            "can_decide": can_change
            and claim.status
            in (
                "submitted",
                "in_review",
                "info_requested",
                "referred",
                "appealed",
                "pending_approval",
            ),
            "is_second_approval": claim.status == Claim.Status.PENDING_APPROVAL,
            "limit": claim_amount_limit(claim) if can_change and claim.is_open else None,
            "queue_url": reverse("admin:claims_claim_changelist"),
        }
