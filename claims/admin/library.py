from django.contrib import admin

from audit.admin_mixins import AuditedModelAdmin
from claims.models import CannedResponse


@admin.register(CannedResponse)
class CannedResponseAdmin(AuditedModelAdmin):
    """The one library of standardized replies, one row per code and language; its purpose
    says where staff pick it: a request for information (the case page), an answer to an
    inquiry (the inquiry's page) or a message about a claim."""

    list_display = ["code", "purpose", "language", "title", "is_active"]
    list_filter = ["purpose", "language", "is_active"]
    search_fields = ["code", "title"]
