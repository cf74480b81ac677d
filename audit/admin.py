import json

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from audit.admin_mixins import ReadOnlyAdmin
from audit.models import AuditEvent, Proposal
from audit.proposals import (
    PROPOSAL_ACTIONS,
    ProposalRefused,
    proposal_approve,
    proposal_reject,
    proposal_target,
    proposal_withdraw,
)
from audit.services import client_ip


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only for everyone, superusers included; the database refuses changes anyway."""

    list_display = ["created_at", "actor_label", "action", "object_type", "object_id", "ip_address"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor_label", "action"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


def _action_label(name: str) -> str:
    registered = PROPOSAL_ACTIONS.get(name)
    return str(registered.label) if registered else name


class ProposalActionFilter(admin.SimpleListFilter):
    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return [(name, action.label) for name, action in sorted(PROPOSAL_ACTIONS.items())]

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin):
    """Money actions waiting for a second person, and the register of those decided. A staff
    member other than the proposer, holding the action's permission, approves (which does
    the action) or rejects; the proposer may withdraw."""

    list_display = ["proposed_at", "action_label", "about", "status", "proposed_by", "decided_by"]
    list_filter = ["status", ProposalActionFilter]
    list_select_related = ["proposed_by", "decided_by"]
    search_fields = ["=object_id", "object_repr"]
    readonly_fields = (
        "action_label",
        "about",
        "status",
        "reason",
        "proposed_by",
        "proposed_at",
        "decided_by",
        "decided_at",
        "decision_note",
        "alone",
        "params_pretty",
        "figures_pretty",
        "result_pretty",
    )
    fields = readonly_fields
    change_form_template = "admin/audit/proposal/change_form.html"

    @admin.display(description=_("action"), ordering="action")
    def action_label(self, obj: Proposal) -> str:
        return _action_label(obj.action)

    @admin.display(description=_("about"))
    def about(self, obj: Proposal) -> str:
        app_label, _dot, model = obj.object_type.partition(".")
        try:
            url = reverse(f"admin:{app_label}_{model}_change", args=[obj.object_id])
        except NoReverseMatch:
            return obj.object_repr
        return format_html('<a href="{}">{}</a>', url, obj.object_repr or obj.object_id)

    @staticmethod
    def _pretty(value) -> str:
        if value in (None, {}):
            return "-"
        return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))

    @admin.display(description=_("parameters"))
    def params_pretty(self, obj: Proposal) -> str:
        return self._pretty(obj.params)

    @admin.display(description=_("figures shown to the proposer"))
    def figures_pretty(self, obj: Proposal) -> str:
        return self._pretty(obj.figures)

    @admin.display(description=_("result"))
    def result_pretty(self, obj: Proposal) -> str:
        return self._pretty(obj.result)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/approve/", wrap(self.approve_view), name="audit_proposal_approve"),
            path("<int:pk>/reject/", wrap(self.reject_view), name="audit_proposal_reject"),
            path("<int:pk>/withdraw/", wrap(self.withdraw_view), name="audit_proposal_withdraw"),
            *super().get_urls(),
        ]

    def _decide(self, request: HttpRequest, pk: int, decide, done) -> HttpResponse:
        if request.method != "POST":
            raise PermissionDenied
        proposal = get_object_or_404(Proposal, pk=pk)
        try:
            decided = decide(proposal)
        except ProposalRefused as exc:
            messages.error(request, exc.message)
        else:
            if decided.status == Proposal.Status.FAILED:
                messages.error(
                    request,
                    _("Approved, but the action was refused: %(reason)s")
                    % {"reason": (decided.result or {}).get("refused", "")},
                )
            else:
                messages.success(request, done)
        return redirect("admin:audit_proposal_change", pk)

    def approve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._decide(
            request,
            pk,
            lambda p: proposal_approve(
                proposal=p, actor=request.user, ip_address=client_ip(request)
            ),
            _("Approved and done."),
        )

    def reject_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        note = request.POST.get("note", "")[:500]
        return self._decide(
            request,
            pk,
            lambda p: proposal_reject(
                proposal=p, actor=request.user, note=note, ip_address=client_ip(request)
            ),
            _("Rejected: nothing was done."),
        )

    def withdraw_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._decide(
            request,
            pk,
            lambda p: proposal_withdraw(
                proposal=p, actor=request.user, ip_address=client_ip(request)
            ),
            _("Withdrawn: nothing was done."),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        proposal = self.get_object(request, unquote(object_id))
        if proposal is None:
            raise Http404
        registered = PROPOSAL_ACTIONS.get(proposal.action)
        user = request.user
        is_open = proposal.status == Proposal.Status.PROPOSED
        is_proposer = proposal.proposed_by_id == user.pk
        may_decide = (
            is_open
            and registered is not None
            and not is_proposer
            and user.has_perm(registered.permission)
        )
        description = registered.describe(proposal, proposal_target(proposal)) if registered else []
        extra_context = {
            **(extra_context or {}),
            "title": _action_label(proposal.action),
            "subtitle": f"{proposal.object_repr}: {proposal.get_status_display()}",
            "description": description,
            "may_decide": may_decide,
            "may_withdraw": is_open and is_proposer,
            "is_open_own": is_open and is_proposer,
        }
        return super().change_view(request, object_id, form_url, extra_context)
