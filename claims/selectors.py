from django.db.models import QuerySet

from compensation.models import Program


def program_list_public() -> QuerySet[Program]:
    """Programs a member of the public may see: open, closed or settled, never drafts."""
    return (
        Program.objects.exclude(status=Program.Status.DRAFT)
        .select_related("incident")
        .order_by("-created_at")
    )
