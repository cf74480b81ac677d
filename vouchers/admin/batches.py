"""Issuance runs in the admin: start (dry-run count and cost, confirm by typing the program's
name; the start is a proposal another staff member approves), watch (done / total, rate,
time left, failures; refreshes itself), resume, cancel."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from audit.admin_mixins import ReadOnlyAdmin
from audit.models import Proposal
from audit.proposals import ProposalRefused, proposal_create
from audit.services import client_ip
from compensation.admin.filters import ProgramFilter
from compensation.engine.money import money_format
from compensation.models import AwardLine, Program
from vouchers.errors import IssuanceRefused, VoucherError
from vouchers.labels import RUN_STATUSES, SERVICES
from vouchers.models import VoucherBatch
from vouchers.proposals import BATCH_START, batch_start_figures, batch_start_refusal
from vouchers.selectors import batch_progress
from vouchers.services.planning import batch_plan, voucher_window_warning
from vouchers.services.runs import voucher_batch_cancel, voucher_batch_resume


class RunForm(forms.Form):
    program = forms.ModelChoiceField(queryset=Program.objects.all(), label=_("Program"))
    award_lines = forms.ModelMultipleChoiceField(
        queryset=AwardLine.objects.filter(kind="voucher").select_related("program"),
        widget=forms.CheckboxSelectMultiple,
        label=_("Award lines"),
        help_text=_("The award template lines to issue (each eligible person gets each once)."),
    )
    segments = forms.CharField(
        required=False,
        label=_("Segments"),
        help_text=_("Optional: only these segments, comma separated."),
    )
    chunk_size = forms.IntegerField(
        min_value=100, max_value=50_000, initial=2_000, label=_("People per chunk")
    )
    confirm_name = forms.CharField(
        required=False, label=_("Type the program's name to confirm"), max_length=200
    )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        program, lines = data.get("program"), data.get("award_lines")
        if program and lines and any(line.program_id != program.pk for line in lines):
            raise forms.ValidationError(_("Choose award lines of the chosen program only."))
        data["segment_list"] = [s for s in (data.get("segments") or "").split(",") if s.strip()]
        return data


class RunStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return list(RUN_STATUSES.items())

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(status=value) if value in RUN_STATUSES else queryset


def _when(value) -> str:
    return date_format(timezone.localtime(value), "DATETIME_FORMAT") if value else "-"


@admin.register(VoucherBatch)
class VoucherBatchAdmin(ReadOnlyAdmin):
    """Every label in the staff member's language: the model's fields are named in English,
    so the page shows them through display methods."""

    list_display = ["run", "program_name", "status_label", "progress_bar", "created_by_name",
                    "created"]  # fmt: skip
    list_filter = [RunStatusFilter, ProgramFilter]
    list_select_related = ["program", "created_by"]
    readonly_fields = (
        "program_name",
        "policy_name",
        "status_label",
        "error_text",
        "progress_bar",
        "figures",
        "award_lines",
        "segment_list",
        "chunk_size_text",
        "people_planned_text",
        "vouchers_planned_text",
        "cost_planned",
        "created_by_name",
        "created",
        "heartbeat",
        "finished",
    )
    fields = readonly_fields
    change_form_template = "admin/vouchers/voucherbatch/change_form.html"

    def has_add_permission(self, request):
        return request.user.has_perm("vouchers.issue_vouchers")

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:vouchers_voucherbatch_start")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("start/", wrap(self.start_view), name="vouchers_voucherbatch_start"),
            path("<int:pk>/resume/", wrap(self.resume_view), name="vouchers_voucherbatch_resume"),
            path("<int:pk>/cancel/", wrap(self.cancel_view), name="vouchers_voucherbatch_cancel"),
            *super().get_urls(),
        ]

    def start_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = RunForm(request.POST or None)
        plan = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                plan = batch_plan(
                    program=data["program"],
                    award_lines=list(data["award_lines"]),
                    segments=data["segment_list"],
                )
                if "confirm" in request.POST:
                    return self._propose(request, plan, data)
            except (VoucherError, ProposalRefused) as exc:
                form.add_error(None, exc.message)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Start a voucher issuance run"),
            "form": form,
            "plan": plan,
            "window_warning": plan and voucher_window_warning(plan),
            "money": plan
            and {
                "cost": money_format(plan.cost_minor, plan.program.currency),
                "new_cost": money_format(plan.new_cost_minor, plan.program.currency),
                "remaining": money_format(plan.program.remaining_minor, plan.program.currency),
            },
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/vouchers/voucherbatch/start.html", context)

    def _propose(self, request, plan, data):
        """Starting a run is a proposal (four eyes, vouchers/proposals.py) with this dry run's
        figures; a different staff member approves it, which starts the run."""
        if refusal := batch_start_refusal(plan):
            raise IssuanceRefused(refusal)
        params, figures = batch_start_figures(
            plan, chunk_size=data["chunk_size"], confirm_name=data["confirm_name"]
        )
        proposal = proposal_create(
            action=BATCH_START,
            target=data["program"],
            params=params,
            figures=figures,
            actor=request.user,
            ip_address=client_ip(request),
        )
        if proposal.status == Proposal.Status.EXECUTED:  # under the two-person threshold
            batch_id = (proposal.result or {})["batch_id"]
            messages.success(request, _("Run %(run)s started.") % {"run": batch_id})
            return redirect("admin:vouchers_voucherbatch_change", batch_id)
        messages.success(
            request, _("Run proposed: a staff member other than you approves it here.")
        )
        return redirect("admin:audit_proposal_change", proposal.pk)

    def _act(self, request, pk, service, done_message):
        if request.method != "POST" or not self.has_add_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(VoucherBatch, pk=pk)
        try:
            service(batch=batch, actor=request.user, ip_address=client_ip(request))
            messages.success(request, done_message)
        except VoucherError as exc:
            messages.error(request, exc.message)
        return redirect("admin:vouchers_voucherbatch_change", pk)

    def resume_view(self, request, pk: int):
        return self._act(request, pk, voucher_batch_resume, _("Workers were woken for the run."))

    def cancel_view(self, request, pk: int):
        return self._act(request, pk, voucher_batch_cancel, _("The run was cancelled."))

    @admin.display(description=_("run"), ordering="pk")
    def run(self, obj):
        return str(obj)

    @admin.display(description=_("program"), ordering="program__name")
    def program_name(self, obj):
        return obj.program.local_name

    @admin.display(description=_("policy"))
    def policy_name(self, obj):
        return _("Version %(number)s of the program's policy") % {"number": obj.policy.number}

    @admin.display(description=_("status"), ordering="status")
    def status_label(self, obj):
        return RUN_STATUSES.get(obj.status, obj.status)

    @admin.display(description=_("error"))
    def error_text(self, obj):
        return obj.error or "-"

    @admin.display(description=_("award lines"))
    def award_lines(self, obj):
        lines = AwardLine.objects.filter(pk__in=obj.award_line_ids).order_by("pk")
        currency = obj.program.currency
        return (
            ", ".join(
                f"{SERVICES.get(line.service_scope, line.code)} "
                f"({money_format(line.amount_minor, currency)})"
                for line in lines
            )
            or "-"
        )

    @admin.display(description=_("segments"))
    def segment_list(self, obj):
        return ", ".join(obj.segments) or _("Every eligible person")

    @admin.display(description=_("people per chunk"))
    def chunk_size_text(self, obj):
        return number_format(obj.chunk_size, force_grouping=True)

    @admin.display(description=_("people planned"))
    def people_planned_text(self, obj):
        return number_format(obj.people_planned, force_grouping=True)

    @admin.display(description=_("vouchers planned"))
    def vouchers_planned_text(self, obj):
        return number_format(obj.vouchers_planned, force_grouping=True)

    @admin.display(description=_("started by"), ordering="created_by__email")
    def created_by_name(self, obj):
        user = obj.created_by
        return (user.full_name or user.email) if user else "-"

    @admin.display(description=_("started"), ordering="created_at")
    def created(self, obj):
        return _when(obj.created_at)

    @admin.display(description=_("last seen working"))
    def heartbeat(self, obj):
        return _when(obj.heartbeat_at)

    @admin.display(description=_("finished"))
    def finished(self, obj):
        return _when(obj.finished_at)

    @admin.display(description=_("progress"))
    def progress_bar(self, obj):
        progress = batch_progress(obj)
        text = _("%(done)s of %(total)s chunks (%(share)s)") % {
            "done": number_format(progress.chunks_done, force_grouping=True),
            "total": number_format(progress.chunks_total, force_grouping=True),
            "share": f"{progress.share:.0%}",
        }
        return format_html(
            '<progress max="{}" value="{}" aria-label="{}"></progress> {}',
            max(progress.chunks_total, 1),
            progress.chunks_done,
            _("progress"),
            text,
        )

    @admin.display(description=_("figures"))
    def figures(self, obj):
        progress = batch_progress(obj)
        rate = "-"
        if progress.rate_per_second:
            rate = _("%(count)s a second") % {
                "count": number_format(round(progress.rate_per_second), force_grouping=True)
            }
        left = "-"
        if progress.seconds_left is not None:
            minutes, seconds = divmod(int(progress.seconds_left), 60)
            left = _("%(minutes)s min %(seconds)s s") % {"minutes": minutes, "seconds": seconds}
        rows = [
            (
                _("Vouchers issued"),
                _("%(done)s of %(planned)s planned")
                % {
                    "done": number_format(progress.vouchers_done, force_grouping=True),
                    "planned": number_format(progress.vouchers_planned, force_grouping=True),
                },
            ),
            (_("Rate"), rate),
            (_("Time left"), left),
            (
                _("Chunks that failed and wait for a retry"),
                number_format(progress.failing_chunks, force_grouping=True),
            ),
            (
                _("Committed by this run"),
                money_format(progress.amount_minor, obj.program.currency),
            ),
        ]
        return format_html_join(mark_safe("<br>"), "{}: {}", rows)

    @admin.display(description=_("planned cost"))
    def cost_planned(self, obj):
        return money_format(obj.cost_planned_minor, obj.program.currency)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        batch = VoucherBatch.objects.filter(pk=object_id).only("pk", "program_id").first()
        query = f"?method=run&batch={batch.pk}&program={batch.program_id}" if batch else ""
        extra_context = {
            **(extra_context or {}),
            "can_issue": self.has_add_permission(request),
            "freeze_url": reverse("admin:vouchers_voucherfreeze_add") + query,
        }
        return super().change_view(request, object_id, form_url, extra_context)
