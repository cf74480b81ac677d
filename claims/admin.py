from django.contrib import admin

from claims.models import Claim, ClaimEvent


class ClaimEventInline(admin.TabularInline):
    model = ClaimEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "from_status", "to_status", "actor_label", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "program",
        "claim_type",
        "status",
        "amount_claimed_minor",
        "score",
        "submitted_at",
        "due_at",
    ]
    list_filter = ["status", "program", "claim_type"]
    search_fields = ["reference"]
    list_select_related = ["program", "claim_type"]
    show_full_result_count = False
    readonly_fields = [
        "reference",
        "program",
        "claim_type",
        "person",
        "language",
        "amount_claimed_minor",
        "hours_claimed",
        "statement",
        "policy",
        "score",
        "decision_reasons",
        "submitted_at",
        "decided_at",
        "amount_decided_minor",
        "status",
        "due_at",
    ]
    inlines = [ClaimEventInline]
