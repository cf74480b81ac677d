"""The case page: everything about one claim on one screen, and the decisions staff take."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.roles import OUTSIDE_EXPERT
from audit.services import client_ip
from claims.admin import labels
from claims.admin.pool import PoolSettleMixin
from claims.admin.purchase import purchase_panel
from claims.admin.queue import QueueMixin
from claims.errors import ClaimError
from claims.forms import document_label
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
from compensation.engine.money import money_exponent, money_format

EXPERT_GROUP = OUTSIDE_EXPERT


def _amount(value: str, currency: str) -> int:
    """The amount typed in the currency's units (50,000 KRW; 12.50 USD) as minor units."""
    exponent = money_exponent(currency)
    try:
        amount = Decimal((value or "").replace(",", "").strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount != amount.quantize(Decimal(1).scaleb(-exponent)):
        raise ClaimError(
            _("Enter the amount in %(currency)s, like %(example)s.")
            % {"currency": currency, "example": money_format(50_000 * 10**exponent, currency)}
        )
    return int(amount.scaleb(exponent))


@admin.register(Claim)
class ClaimAdmin(PoolSettleMixin, QueueMixin, admin.ModelAdmin):
    def has_add_permission(self, request):
        return False  # claims are filed by claimants

    def has_delete_permission(self, request, obj=None):
        return False  # the record of a claim is kept

    def change_view(self, request, object_id, form_url="", extra_context=None):
        claim = (
            self.get_queryset(request)
            .select_related(
                "decided_by",
                "first_approver",
                "award",
                "policy",
                "filed_by",
                "assigned_to",
                # The purchase panel asks the claim type for its route: joined, no query.
                "claim_type__purchase_route",
            )
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
        currency = claim.program.currency
        reference = claim.reference
        expert = None
        try:
            if action == "start_review":
                claim_start_review(claim=claim, actor=user, ip_address=ip)
                done = _("You started the review of claim %(reference)s; it is assigned to you.")
            elif action == "assign_me":
                claim_assign(claims=[claim], assignee=user, actor=user, ip_address=ip)
                done = _("Claim %(reference)s is assigned to you.")
            elif action == "approve":
                amount = _amount(data.get("amount", ""), currency)
                claim = claim_approve(
                    claim=claim,
                    amount_minor=amount,
                    actor=user,
                    note=data.get("note", ""),
                    ip_address=ip,
                )
                done = (
                    _(
                        "You proposed approving %(amount)s for claim %(reference)s: a second "
                        "approver completes it."
                    )
                    if claim.status == Claim.Status.PENDING_APPROVAL
                    else _("Claim %(reference)s is approved for %(amount)s; the claimant is told.")
                )
            elif action == "deny":
                claim_deny(
                    claim=claim,
                    reason_codes=data.getlist("reasons"),
                    actor=user,
                    note=data.get("note", ""),
                    ip_address=ip,
                )
                done = _("Claim %(reference)s is denied; the claimant is told and may appeal.")
            elif action == "request_info":
                claim = claim_request_info(
                    claim=claim,
                    message=data.get("message", ""),
                    actor=user,
                    document_kind=data.get("document_kind", ""),
                    ip_address=ip,
                )
                done = _(
                    "The claimant of %(reference)s is asked for information, to answer by %(due)s."
                )
            elif action == "refer":
                expert = (
                    get_user_model()
                    .objects.filter(pk=data.get("expert") or 0, groups__name=EXPERT_GROUP)
                    .first()
                )
                if expert is None:
                    raise ClaimError(_("Choose an expert."))
                claim_refer(
                    claim=claim, expert=expert, actor=user, note=data.get("note", ""), ip_address=ip
                )
                done = _("Claim %(reference)s is referred to %(expert)s.")
            elif action == "note":
                claim_note_add(claim=claim, note=data.get("note", ""), actor=user, ip_address=ip)
                done = _("Your internal note is added to claim %(reference)s.")
            else:
                raise ClaimError(_("Unknown action."))
        except ClaimError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request,
                done
                % {
                    "reference": reference,
                    "amount": money_format(claim.proposed_amount_minor or 0, currency)
                    if claim.status == Claim.Status.PENDING_APPROVAL
                    else money_format(claim.amount_decided_minor or 0, currency),
                    "due": date_format(localtime(claim.info_due_at), "DATE_FORMAT")
                    if claim.info_due_at
                    else "-",
                    "expert": expert.get_full_name() if expert else "",
                },
            )

    def _context(self, request, claim: Claim) -> dict:
        user = request.user
        can_change = user.has_perm("claims.change_claim")
        language = get_language() or "en"
        results = [
            {
                **r,
                "text": reason_text(r["code"], r.get("passed", True), r.get("params", {}), language)
                if r.get("source") != "staff"
                else str(DENY_REASONS.get(r["code"], r["code"])),
            }
            for r in claim.decision_reasons
        ]
        documents = list(claim.documents.order_by("created_at", "id"))
        events = list(claim.events.order_by("created_at", "id"))
        names = labels.staff_names(events)
        currency = claim.program.currency
        limit = claim_amount_limit(claim) if can_change and claim.is_open else None
        rule_failed = any(not r.get("passed", True) for r in claim.decision_reasons)
        if claim.status == Claim.Status.PENDING_APPROVAL:
            amount_initial = claim.proposed_amount_minor
        else:
            # The whole amount only when every rule passed: after a failed rule the reviewer
            # types what they decide, rather than confirming a figure the rules doubted.
            amount_initial = limit if limit and not rule_failed else None
        exponent = money_exponent(currency)
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Claim %(reference)s: %(status)s")
            % {"reference": claim.reference, "status": labels.label(labels.STATUSES, claim.status)},
            "claim": claim,
            "person": claim.person,
            "status": labels.label(labels.STATUSES, claim.status),
            "risk": labels.label(labels.RISKS, claim.risk),
            "channel": labels.label(labels.CHANNELS, claim.channel),
            "filed_by": claim.filed_by.get_full_name() if claim.filed_by else "",
            "claim_type_title": claim.claim_type.title_in(language),
            "program_name": claim.program.local_name,
            "claimed": money_format(claim.amount_claimed_minor, currency),
            "decided": money_format(claim.amount_decided_minor, currency)
            if claim.amount_decided_minor is not None
            else "",
            "proposed": money_format(claim.proposed_amount_minor, currency)
            if claim.proposed_amount_minor is not None
            else "",
            "decided_by": claim.decided_by.get_full_name() if claim.decided_by else "",
            "first_approver": claim.first_approver.get_full_name() if claim.first_approver else "",
            "assigned_to": claim.assigned_to.get_full_name() if claim.assigned_to else "",
            "results": results,
            "rule_failed": rule_failed,
            "purchase": purchase_panel(claim),
            "signals": [
                {**s, "text": labels.label(labels.SIGNALS, s["code"])} for s in claim.signals or []
            ],
            "documents": [
                {
                    "document": d,
                    "kind": document_label(d.kind),
                    "purpose": labels.label(labels.PURPOSES, d.purpose),
                }
                for d in documents
            ],
            "events": [
                {
                    "at": event.created_at,
                    "what": labels.label(labels.EVENTS, event.kind),
                    "internal": event.internal,
                    "from_status": labels.label(labels.STATUSES, event.from_status)
                    if event.from_status
                    else "",
                    "to_status": labels.label(labels.STATUSES, event.to_status)
                    if event.to_status
                    else "",
                    "who": labels.actor_text(event.actor_label, names),
                    "note": labels.note_text(event, names),
                }
                for event in events
            ],
            "canned": list(
                CannedResponse.objects.filter(
                    is_active=True, purpose=CannedResponse.Purpose.INFO_REQUEST
                )
            ),
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
            "limit": money_format(limit, currency) if limit is not None else None,
            "currency": currency,
            "amount_initial": str(Decimal(amount_initial).scaleb(-exponent))
            if amount_initial
            else "",
            "amount_step": str(Decimal(1).scaleb(-exponent)) if exponent else "1",
            "queue_url": reverse("admin:claims_claim_changelist"),
        }
