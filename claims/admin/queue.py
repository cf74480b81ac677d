"""The review queue: the claims changelist with filters, sorting and (bulk) assignment."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import cached_property

from audit.services import client_ip
from claims.errors import ClaimError
from claims.models import Claim
from claims.selectors import queue_filter, queue_for
from claims.services import claim_assign


class CappedPaginator(Paginator):
    """Counts at most CAP rows: with a million claims an exact COUNT(*) of the queue would
    cost more than the page itself, and nobody pages past the first thousands."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        # The admin changelist always pages a QuerySet (the stubs allow any sequence).
        claims = cast(QuerySet[Claim], self.object_list)
        return claims.order_by()[: self.CAP].count()


class SlaFilter(admin.SimpleListFilter):
    title = "SLA"
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [("due_soon", "Due soon"), ("overdue", "Overdue")]

    def queryset(self, request, queryset):
        return queue_filter(queryset, sla=self.value() or "")


class AssignedFilter(admin.SimpleListFilter):
    title = "assigned"
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", "Assigned to me"), ("nobody", "Not assigned")]

    def queryset(self, request, queryset):
        return queue_filter(queryset, assigned=self.value() or "", user=request.user)


class AssignForm(ActionForm):
    assignee = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_staff=True, is_active=True).order_by("email"),
        required=False,
        label="Assign to",
    )


if TYPE_CHECKING:
    # Checked as what it is mixed into; at run time a plain mixin.
    _QueueBase = admin.ModelAdmin[Claim]
else:
    _QueueBase = object


class QueueMixin(_QueueBase):
    list_display = [
        "reference",
        "status",
        "type_code",
        "risk_level",
        "score",
        "submitted_at",
        "sla",
        "assigned_to",
        "signal_count",
    ]
    list_display_links = ["reference"]
    list_filter = ["status", "claim_type__code", "risk", SlaFilter, AssignedFilter]
    sortable_by = ["submitted_at", "score", "risk_level", "sla"]
    ordering = ["submitted_at"]
    search_fields = ["=reference"]
    show_full_result_count = False
    paginator = CappedPaginator
    list_per_page = settings.CLAIMS_QUEUE_PAGE_SIZE
    action_form = AssignForm
    actions = ["assign_to_me", "assign_selected", "unassign"]

    def get_queryset(self, request):
        return queue_for(request.user)

    @admin.display(description="type", ordering="claim_type__code")
    def type_code(self, claim: Claim) -> str:
        return claim.claim_type.code

    @admin.display(description="risk", ordering="score")
    def risk_level(self, claim: Claim) -> str:
        # Sorted by the engine's score: ascending puts the riskiest claims first.
        return claim.get_risk_display()

    @admin.display(description="signals")
    def signal_count(self, claim: Claim) -> int:
        return len(claim.signals or [])

    @admin.display(description="SLA due", ordering="due_at")
    def sla(self, claim: Claim) -> str:
        if not claim.due_at or not claim.is_open:
            return "-"
        now = timezone.now()
        if claim.due_at < now:
            return f"OVERDUE since {timezone.localtime(claim.due_at):%Y-%m-%d %H:%M}"
        soon = now + dt.timedelta(hours=settings.CLAIMS_SLA_DUE_SOON_HOURS)
        prefix = "due soon: " if claim.due_at < soon else ""
        return f"{prefix}{timezone.localtime(claim.due_at):%Y-%m-%d %H:%M}"

    def _assign(self, request, queryset, assignee):
        try:
            count = claim_assign(
                claims=list(queryset),
                assignee=assignee,
                actor=request.user,
                ip_address=client_ip(request),
            )
        except ClaimError as exc:
            self.message_user(request, str(exc.message), messages.ERROR)
            return
        self.message_user(request, f"{count} claim(s) updated.", messages.SUCCESS)

    @admin.action(description="Assign selected claims to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        self._assign(request, queryset, request.user)

    @admin.action(
        description="Assign selected claims to the person chosen above", permissions=["change"]
    )
    def assign_selected(self, request, queryset):
        assignee_id = request.POST.get("assignee")
        if not assignee_id:
            self.message_user(request, "Choose whom to assign to.", messages.WARNING)
            return
        assignee = get_user_model().objects.filter(pk=assignee_id, is_staff=True).first()
        self._assign(request, queryset, assignee)

    @admin.action(description="Unassign selected claims", permissions=["change"])
    def unassign(self, request, queryset):
        self._assign(request, queryset, None)
