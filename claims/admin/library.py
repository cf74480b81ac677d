from django.contrib import admin

from audit.admin_mixins import AuditedModelAdmin
from claims.models import CannedResponse


@admin.register(CannedResponse)
class CannedResponseAdmin(AuditedModelAdmin):
    """The managed library of standardized replies, one row per code and language."""

    list_display = ["code", "language", "title", "is_active"]
    list_filter = ["language", "is_active"]
    search_fields = ["code", "title"]
