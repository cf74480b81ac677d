import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from audit.admin_mixins import ReadOnlyAdmin
from audit.proposals import proposal_create
from audit.services import client_ip
from compensation.engine import DEFAULT_RULES
from compensation.engine.money import money_format
from compensation.errors import PolicyInvalid
from compensation.models import DryRun, PolicyVersion
from compensation.proposals import POLICY_PUBLISH, policy_publish_figures
from compensation.services.policy import (
    dry_run_request,
    policy_draft_create,
    policy_rules_check,
)
from config.errors import DomainError


class PolicyDraftForm(forms.ModelForm):
    rules = forms.JSONField(
        widget=forms.Textarea(attrs={"rows": 30, "cols": 90, "class": "monospace"}),
        help_text="Eligibility, proactive award lines, limits and scoring. Checked on save; "
        "missing keys take the defaults shown.",
    )

    class Meta:
        model = PolicyVersion
        fields = ["program", "rules", "notes"]

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        program, rules = cleaned.get("program"), cleaned.get("rules")
        if program is not None and rules is not None:
            try:
                cleaned["rules"] = policy_rules_check(program=program, rules=rules)
            except PolicyInvalid as exc:
                self.add_error("rules", exc.message)
        return cleaned


class DryRunInline(admin.TabularInline):
    model = DryRun
    extra = 0
    can_delete = False
    fields = ("created_at", "status", "people_total", "people_eligible", "cost", "seconds")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="cost / budget")
    def cost(self, obj):
        currency = obj.policy.program.currency
        return (
            f"{money_format(obj.cost_minor, currency)} / {money_format(obj.budget_minor, currency)}"
        )


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "program", "number", "status", "published_at"]
    list_filter = ["status", "program"]
    list_select_related = ["program"]
    readonly_fields = (
        "program",
        "number",
        "status",
        "rules_pretty",
        "notes",
        "created_by",
        "created_at",
        "published_by",
        "published_at",
        "latest_dry_run",
    )
    fields = readonly_fields
    inlines = [DryRunInline]
    change_form_template = "admin/compensation/policyversion/change_form.html"

    def has_add_permission(self, request):
        return request.user.has_perm("compensation.add_policyversion")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = PolicyDraftForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["program", "rules", "notes"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_changeform_initial_data(self, request):
        base = PolicyVersion.objects.filter(pk=request.GET.get("copy_from")).first()
        rules = base.rules if base else DEFAULT_RULES
        initial = {"rules": json.dumps(rules, indent=2)}
        if base:
            initial["program"] = str(base.program_id)  # as a query string would give it
        return initial

    def save_model(self, request, obj, form, change):
        created = policy_draft_create(
            program=form.cleaned_data["program"],
            rules=form.cleaned_data["rules"],
            notes=form.cleaned_data.get("notes", ""),
            actor=request.user,
            ip_address=client_ip(request),
        )
        # The admin goes on with `obj` (the redirect, the message): make it the row the
        # service wrote.
        obj.pk = created.pk
        obj.refresh_from_db()

    def log_addition(self, request, obj, message):
        pass  # the service wrote the audit row

    @admin.display(description="rules")
    def rules_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.rules, indent=2, ensure_ascii=False))

    @admin.display(description="latest dry run")
    def latest_dry_run(self, obj):
        dry_run = obj.dry_runs.order_by("-id").first()
        if dry_run is None:
            return "none yet"
        if dry_run.status != DryRun.Status.DONE:
            return dry_run.get_status_display()
        currency = obj.program.currency
        counts = format_html_join(
            "",
            "<li>{}: {}</li>",
            (
                (k, f"{v:,}" if isinstance(v, int) else v)
                for k, v in sorted(dry_run.outcome_counts.items())
            ),
        )
        samples = format_html_join(
            "",
            "<li>{} people like #{}: {} {}<br><small>{}</small></li>",
            (
                (
                    s["people_like_this"],
                    s["person_id"],
                    "eligible" if s["eligible"] else "not eligible",
                    money_format(s["amount_minor"], currency),
                    " ".join(s["reasons"]),
                )
                for s in dry_run.sample
            ),
        )
        verdict = "within" if dry_run.within_budget else "OVER"
        return format_html(
            "<p>{} people, {} eligible, {} not. Cost {} (proactive {}, claims {}), {} the "
            "budget of {}. Took {}s.</p><ul>{}</ul><p>Sample decisions:</p><ul>{}</ul>",
            f"{dry_run.people_total:,}",
            f"{dry_run.people_eligible:,}",
            f"{dry_run.people_ineligible:,}",
            money_format(dry_run.cost_minor, currency),
            money_format(dry_run.proactive_cost_minor, currency),
            money_format(dry_run.claims_cost_minor, currency),
            verdict,
            money_format(dry_run.budget_minor, currency),
            f"{dry_run.seconds or 0:.1f}",
            counts,
            samples,
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/dry-run/",
                self.admin_site.admin_view(self.dry_run_view),
                name="compensation_policyversion_dry_run",
            ),
            path(
                "<int:pk>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name="compensation_policyversion_publish",
            ),
            *super().get_urls(),
        ]

    def _change_url(self, policy):
        return reverse("admin:compensation_policyversion_change", args=[policy.pk])

    def dry_run_view(self, request, pk: int):
        if request.method != "POST" or not request.user.has_perm("compensation.add_policyversion"):
            raise PermissionDenied
        policy = get_object_or_404(PolicyVersion, pk=pk)
        dry_run_request(policy=policy, actor=request.user, ip_address=client_ip(request))
        messages.info(request, "Dry run started; this page shows it when it is done.")
        return redirect(self._change_url(policy))

    def publish_view(self, request, pk: int):
        """Publishing is a proposal (four eyes): this page proposes it with the latest dry
        run's figures; a different staff member approves it on the proposal's page."""
        if not request.user.has_perm("compensation.publish_policyversion"):
            raise PermissionDenied
        policy = get_object_or_404(PolicyVersion.objects.select_related("program"), pk=pk)
        if request.method == "POST":
            try:
                params, figures = policy_publish_figures(policy)
                proposal = proposal_create(
                    action=POLICY_PUBLISH,
                    target=policy,
                    params=params,
                    figures=figures,
                    reason=request.POST.get("reason", "")[:500],
                    actor=request.user,
                    ip_address=client_ip(request),
                )
            except DomainError as exc:
                messages.error(request, exc.message)
                return redirect(self._change_url(policy))
            messages.success(
                request,
                _(
                    "Publication of version %(number)s proposed: a staff member other than you "
                    "approves it here."
                )
                % {"number": policy.number},
            )
            return redirect("admin:audit_proposal_change", proposal.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "policy": policy,
            "title": f"Publish {policy}?",
            "dry_run": self.latest_dry_run(policy),
        }
        return TemplateResponse(request, "admin/compensation/policyversion/publish.html", context)
