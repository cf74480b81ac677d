from django.contrib import admin
from django.urls import path

from audit.admin_mixins import AuditedModelAdmin
from compensation.admin.budget import program_budget_view
from compensation.admin.forecast import program_forecast_html
from compensation.models import AwardLine, ClaimType, Incident, Program, RegulatorNotice


class RegulatorNoticeInline(admin.TabularInline):
    model = RegulatorNotice
    extra = 0


@admin.register(Incident)
class IncidentAdmin(AuditedModelAdmin):
    list_display = ["title", "detected_at", "disclosed_at", "severity", "estimated_affected"]
    inlines = [RegulatorNoticeInline]


class AwardLineInline(admin.TabularInline):
    model = AwardLine
    extra = 0


@admin.register(Program)
class ProgramAdmin(AuditedModelAdmin):
    list_display = ["name", "incident", "status", "currency", "budget_minor", "committed_minor"]
    list_select_related = ["incident"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["committed_minor", "pool_factor", "forecast"]
    inlines = [AwardLineInline]
    change_form_template = "admin/compensation/program/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        # Once the program exists its budget changes only by a proposal (four eyes): the
        # "Change the budget" page.
        fields = list(super().get_readonly_fields(request, obj))
        return fields if obj is None else ["budget_minor", *fields]

    def get_urls(self):
        return [
            path(
                "<int:pk>/budget/",
                self.admin_site.admin_view(
                    lambda request, pk: program_budget_view(self, request, pk)
                ),
                name="compensation_program_budget",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="Cost forecast against the budget")
    def forecast(self, obj):
        return program_forecast_html(obj) if obj.pk else "-"


@admin.register(ClaimType)
class ClaimTypeAdmin(AuditedModelAdmin):
    list_display = ["code", "program", "calculation", "cap_per_claim_minor"]
    list_select_related = ["program"]
