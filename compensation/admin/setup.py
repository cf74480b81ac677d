from django.contrib import admin

from audit.admin_mixins import AuditedModelAdmin
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

    @admin.display(description="Cost forecast against the budget")
    def forecast(self, obj):
        return program_forecast_html(obj) if obj.pk else "-"


@admin.register(ClaimType)
class ClaimTypeAdmin(AuditedModelAdmin):
    list_display = ["code", "program", "calculation", "cap_per_claim_minor"]
    list_select_related = ["program"]
