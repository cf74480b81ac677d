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
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from audit.services import client_ip
from claims.admin import labels
from claims.errors import ClaimError
from claims.models import Claim
from claims.selectors import queue_filter, queue_for
from claims.services import claim_assign
from compensation.models import ClaimType


class CappedPaginator(Paginator):
    """Counts at most CAP rows: with a million claims an exact COUNT(*) of the queue would
    cost more than the page itself, and nobody pages past the first thousands."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        # The admin changelist always pages a QuerySet (the stubs allow any sequence).
        claims = cast(QuerySet[Claim], self.object_list)
        return claims.order_by()[: self.CAP].count()


class StatusFilter(admin.SimpleListFilter):
    """Open claims unless asked otherwise: a decided claim needs no work."""

    title = gettext_lazy("status")
    parameter_name = "status__exact"
    ALL = "all"

    def lookups(self, request, model_admin):
        return list(labels.STATUSES.items())

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.ALL:
            return queryset
        if value in labels.STATUSES:
            return queue_filter(queryset, status=value)
        return queryset.filter(status__in=Claim.OPEN_STATUSES)

    def choices(self, changelist):
        value = self.value()
        yield {
            "selected": value is None or (value != self.ALL and value not in labels.STATUSES),
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("Open (not decided)"),
        }
        yield {
            "selected": value == self.ALL,
            "query_string": changelist.get_query_string({self.parameter_name: self.ALL}),
            "display": _("All, decided too"),
        }
        for code, text in self.lookup_choices:
            yield {
                "selected": value == code,
                "query_string": changelist.get_query_string({self.parameter_name: code}),
                "display": text,
            }


class ClaimTypeFilter(admin.SimpleListFilter):
    title = gettext_lazy("claim type")
    parameter_name = "claim_type__code__exact"

    def lookups(self, request, model_admin):
        language = get_language() or "en"
        seen: dict[str, str] = {}
        for claim_type in ClaimType.objects.only("code", "title").order_by("program_id", "id"):
            seen.setdefault(claim_type.code, claim_type.title_in(language))
        return list(seen.items())

    def queryset(self, request, queryset):
        return queue_filter(queryset, claim_type=self.value() or "")


class RiskFilter(admin.SimpleListFilter):
    title = gettext_lazy("risk")
    parameter_name = "risk__exact"

    def lookups(self, request, model_admin):
        return list(labels.RISKS.items())

    def queryset(self, request, queryset):
        return queue_filter(queryset, risk=self.value() or "")


class SlaFilter(admin.SimpleListFilter):
    title = gettext_lazy("SLA")
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [("due_soon", _("Due soon")), ("overdue", _("Overdue"))]

    def queryset(self, request, queryset):
        return queue_filter(queryset, sla=self.value() or "")


class AssignedFilter(admin.SimpleListFilter):
    title = gettext_lazy("assigned")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", _("Assigned to me")), ("nobody", _("Not assigned"))]

    def queryset(self, request, queryset):
        return queue_filter(queryset, assigned=self.value() or "", user=request.user)


class AssignForm(ActionForm):
    assignee = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_staff=True, is_active=True).order_by("email"),
        required=False,
        label=gettext_lazy("Assign to"),
    )


if TYPE_CHECKING:
    # Checked as what it is mixed into; at run time a plain mixin.
    _QueueBase = admin.ModelAdmin[Claim]
else:
    _QueueBase = object


class QueueMixin(_QueueBase):
    list_display = [
        "reference_text",
        "status_label",
        "type_code",
        "risk_level",
        "score_value",
        "submitted",
        "sla",
        "assignee",
        "signal_count",
    ]
    list_display_links = ["reference_text"]
    list_filter = [StatusFilter, ClaimTypeFilter, RiskFilter, SlaFilter, AssignedFilter]
    sortable_by = ["submitted", "score_value", "risk_level", "sla"]
    ordering = ["submitted_at"]
    search_fields = ["=reference"]
    show_full_result_count = False
    paginator = CappedPaginator
    list_per_page = settings.CLAIMS_QUEUE_PAGE_SIZE
    action_form = AssignForm
    actions = ["assign_to_me", "assign_selected", "unassign"]

    def get_queryset(self, request):
        return queue_for(request.user)

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(
            request, {"title": _("Review queue"), **(extra_context or {})}
        )

    @admin.display(description=gettext_lazy("reference"), ordering="reference")
    def reference_text(self, claim: Claim) -> str:
        return claim.reference

    @admin.display(description=gettext_lazy("score"), ordering="score")
    def score_value(self, claim: Claim) -> str:
        return "-" if claim.score is None else str(claim.score)

    @admin.display(description=gettext_lazy("submitted"), ordering="submitted_at")
    def submitted(self, claim: Claim) -> str:
        return date_format(timezone.localtime(claim.submitted_at), "SHORT_DATETIME_FORMAT")

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_label(self, claim: Claim) -> str:
        return str(labels.label(labels.STATUSES, claim.status))

    @admin.display(description=gettext_lazy("claim type"), ordering="claim_type__code")
    def type_code(self, claim: Claim) -> str:
        return claim.claim_type.title_in(get_language() or "en")

    @admin.display(description=gettext_lazy("risk"), ordering="score")
    def risk_level(self, claim: Claim) -> str:
        # Sorted by the engine's score: ascending puts the riskiest claims first.
        return str(labels.label(labels.RISKS, claim.risk))

    @admin.display(description=gettext_lazy("assigned to"), ordering="assigned_to__email")
    def assignee(self, claim: Claim) -> str:
        user = claim.assigned_to
        return (user.get_full_name() or user.email) if user is not None else "-"

    @admin.display(description=gettext_lazy("signals"))
    def signal_count(self, claim: Claim) -> int:
        return len(claim.signals or [])

    @admin.display(description=gettext_lazy("SLA due"), ordering="due_at")
    def sla(self, claim: Claim) -> str:
        if not claim.due_at or not claim.is_open:
            return "-"
        now = timezone.now()
        due = date_format(timezone.localtime(claim.due_at), "SHORT_DATETIME_FORMAT")
        if claim.due_at < now:
            return _("Overdue since %(due)s") % {"due": due}
        soon = now + dt.timedelta(hours=settings.CLAIMS_SLA_DUE_SOON_HOURS)
        return _("Due soon: %(due)s") % {"due": due} if claim.due_at < soon else due

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
        if assignee is None:
            text = ngettext(
                "%(count)d claim is no longer assigned to anyone.",
                "%(count)d claims are no longer assigned to anyone.",
                count,
            ) % {"count": count}
        else:
            text = ngettext(
                "%(count)d claim is assigned to %(name)s.",
                "%(count)d claims are assigned to %(name)s.",
                count,
            ) % {"count": count, "name": assignee.get_full_name()}
        self.message_user(request, text, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Assign selected claims to me"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        self._assign(request, queryset, request.user)

    @admin.action(
        description=gettext_lazy("Assign selected claims to the person chosen above"),
        permissions=["change"],
    )
    def assign_selected(self, request, queryset):
        assignee_id = request.POST.get("assignee")
        if not assignee_id:
            self.message_user(request, _("Choose whom to assign to."), messages.WARNING)
            return
        assignee = get_user_model().objects.filter(pk=assignee_id, is_staff=True).first()
        self._assign(request, queryset, assignee)

    @admin.action(description=gettext_lazy("Unassign selected claims"), permissions=["change"])
    def unassign(self, request, queryset):
        self._assign(request, queryset, None)
