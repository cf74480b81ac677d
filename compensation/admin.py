from django.contrib import admin

from audit.admin_mixins import AuditedModelAdmin
from compensation.models import (
    AffectedPerson,
    Award,
    AwardLine,
    ClaimType,
    Incident,
    Program,
    RegulatorNotice,
)


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
    readonly_fields = ["committed_minor"]
    inlines = [AwardLineInline]


@admin.register(ClaimType)
class ClaimTypeAdmin(AuditedModelAdmin):
    list_display = ["code", "program", "calculation", "cap_per_claim_minor"]
    list_select_related = ["program"]


@admin.register(AffectedPerson)
class AffectedPersonAdmin(admin.ModelAdmin):
    list_display = ["external_id", "program", "language", "region", "segment", "account_status"]
    list_filter = ["language", "account_status"]
    search_fields = ["=external_id"]
    list_select_related = ["program"]
    show_full_result_count = False


@admin.register(Award)
class AwardAdmin(admin.ModelAdmin):
    list_display = ["public_id", "program", "source", "kind", "amount_minor", "currency", "status"]
    list_filter = ["source", "status", "kind"]
    list_select_related = ["program"]
    show_full_result_count = False
