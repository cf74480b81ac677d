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
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from audit.admin_mixins import ReadOnlyAdmin
from audit.models import Proposal
from audit.proposals import ProposalRefused, proposal_create
from audit.services import client_ip
from compensation.engine.money import money_format
from compensation.models import AwardLine, Program
from vouchers.errors import IssuanceRefused, VoucherError
from vouchers.models import VoucherBatch
from vouchers.proposals import BATCH_START, batch_start_figures, batch_start_refusal
from vouchers.selectors import batch_progress
from vouchers.services.planning import batch_plan, voucher_window_warning
from vouchers.services.runs import voucher_batch_cancel, voucher_batch_resume


class RunForm(forms.Form):
    program = forms.ModelChoiceField(queryset=Program.objects.all())
    award_lines = forms.ModelMultipleChoiceField(
        queryset=AwardLine.objects.filter(kind="voucher").select_related("program"),
        widget=forms.CheckboxSelectMultiple,
        help_text="The award template lines to issue (each eligible person gets each once).",
    )
    segments = forms.CharField(
        required=False, help_text="Optional: only these segments, comma separated."
    )
    chunk_size = forms.IntegerField(min_value=100, max_value=50_000, initial=2_000)
    confirm_name = forms.CharField(
        required=False, label="Type the program's name to confirm", max_length=200
    )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        program, lines = data.get("program"), data.get("award_lines")
        if program and lines and any(line.program_id != program.pk for line in lines):
            raise forms.ValidationError("Choose award lines of the chosen program only.")
        data["segment_list"] = [s for s in (data.get("segments") or "").split(",") if s.strip()]
        return data


@admin.register(VoucherBatch)
class VoucherBatchAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "program", "status", "progress_bar", "created_by", "created_at"]
    list_filter = ["status", "program"]
    list_select_related = ["program", "created_by"]
    readonly_fields = (
        "program",
        "policy",
        "status",
        "error",
        "progress_bar",
        "figures",
        "award_line_ids",
        "segments",
        "chunk_size",
        "people_planned",
        "vouchers_planned",
        "cost_planned",
        "created_by",
        "created_at",
        "heartbeat_at",
        "finished_at",
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
            "title": "Start a voucher issuance run",
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
        return self._act(request, pk, voucher_batch_resume, "Workers were woken for the run.")

    def cancel_view(self, request, pk: int):
        return self._act(request, pk, voucher_batch_cancel, "The run was cancelled.")

    @admin.display(description="progress")
    def progress_bar(self, obj):
        progress = batch_progress(obj)
        return format_html(
            '<progress max="{}" value="{}"></progress> {} of {} chunks ({})',
            max(progress.chunks_total, 1),
            progress.chunks_done,
            f"{progress.chunks_done:,}",
            f"{progress.chunks_total:,}",
            f"{progress.share:.0%}",
        )

    @admin.display(description="figures")
    def figures(self, obj):
        progress = batch_progress(obj)
        rate = f"{progress.rate_per_second:,.0f}/s" if progress.rate_per_second else "-"
        left = "-"
        if progress.seconds_left is not None:
            minutes, seconds = divmod(int(progress.seconds_left), 60)
            left = f"{minutes} min {seconds} s"
        return format_html(
            "Vouchers issued: {} of {} planned<br>Rate: {}<br>Time left: {}<br>"
            "Chunks that failed and wait for a retry: {}<br>Committed by this run: {}",
            f"{progress.vouchers_done:,}",
            f"{progress.vouchers_planned:,}",
            rate,
            left,
            progress.failing_chunks,
            money_format(progress.amount_minor, obj.program.currency),
        )

    @admin.display(description="planned cost")
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
