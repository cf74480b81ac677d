from django.contrib import admin

from audit.admin_mixins import ReadOnlyAdmin
from compensation.models import AffectedPerson, Award


@admin.register(AffectedPerson)
class AffectedPersonAdmin(ReadOnlyAdmin):
    list_display = ["external_id", "program", "language", "region", "segment", "account_status"]
    list_filter = ["language", "account_status"]
    search_fields = ["=external_id"]
    list_select_related = ["program"]
    show_full_result_count = False
    # Contact details are for sending notices, not for browsing.
    exclude = ["email", "phone", "email_hash", "phone_hash"]


@admin.register(Award)
class AwardAdmin(ReadOnlyAdmin):
    list_display = [
        "public_id",
        "program",
        "source",
        "kind",
        "amount_minor",
        "currency",
        "status",
        "created_at",
    ]
    list_filter = ["source", "status", "kind"]
    search_fields = ["=claim_reference", "=public_id"]
    list_select_related = ["program"]
    show_full_result_count = False
    raw_id_fields = ["person"]
