"""Reads of the inquiries: the thread of one, a person's, who may answer them, and the notice
that acknowledged one."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet

from accounts.models import User
from notifications.models import Notice
from support.models import Inquiry, InquiryEntry

PERSON_INQUIRIES_SHOWN = 20


def inquiry_entries(inquiry: Inquiry) -> QuerySet[InquiryEntry]:
    return inquiry.entries.select_related("author", "notice").order_by("created_at", "id")


def person_inquiries(person_id: int) -> QuerySet[Inquiry]:
    """The person's newest inquiries: theirs by record (signed in, or opened by an agent)."""
    return (
        Inquiry.objects.filter(person_id=person_id)
        .only("id", "reference", "category", "status", "created_at", "due_at", "first_answered_at")
        .order_by("-created_at", "-id")[:PERSON_INQUIRIES_SHOWN]
    )


def answering_staff() -> list[User]:
    """Active staff who may answer inquiries (by a role, their own permission or superuser)."""
    permission = Permission.objects.filter(
        content_type__app_label="support", codename="answer_inquiry"
    ).first()
    condition = Q(is_superuser=True)
    if permission is not None:
        condition |= Q(groups__permissions=permission) | Q(user_permissions=permission)
    return list(
        User.objects.filter(condition, is_active=True, is_staff=True).distinct().order_by("email")
    )


def acknowledgement_key(inquiry: Inquiry) -> str:
    """The dedupe key of the notice that acknowledges the inquiry (one per inquiry)."""
    return f"inquiry:{inquiry.pk}:received"


def acknowledgement_of(inquiry: Inquiry) -> Notice | None:
    """The inquiry_received notice that told the person their question arrived, if any."""
    return (
        Notice.objects.filter(dedupe_key=acknowledgement_key(inquiry))
        .only("reference", "channel", "status")
        .first()
    )
