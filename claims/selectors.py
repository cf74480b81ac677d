"""Reads shared by the claimant pages, the admin queue and the API."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.roles import OUTSIDE_EXPERT
from claims.models import CannedResponse, Claim, ClaimDocument, ClaimEvent
from claims.services.common import identity_filter
from compensation.claimant_session import Claimant
from compensation.models import ClaimType, Program


def program_list_public() -> QuerySet[Program]:
    """Programs a member of the public may see: open, closed or settled, never drafts."""
    return (
        Program.objects.exclude(status=Program.Status.DRAFT)
        .select_related("incident")
        .order_by("-created_at")
    )


def program_public_get(slug: str) -> Program:
    program = program_list_public().filter(slug=slug).first()
    if program is None:
        raise Http404
    return program


def claim_types_for(program: Program, claimant: Claimant | None) -> list[ClaimType]:
    """The routes this claimant can file on: all of them for a person on the affected list,
    only those not requiring the record for a verified email that is not on it."""
    types = list(program.claim_types.order_by("id"))
    on_list = (
        claimant is not None
        and claimant.person is not None
        and (claimant.person.program_id == program.pk)
    )
    return [t for t in types if on_list or not t.requires_affected_record]


def claims_of(claimant: Claimant) -> QuerySet[Claim]:
    """The claimant's own claims; every other claim is invisible (the views answer 404)."""
    person = claimant.person.pk if claimant.person else None
    return (
        Claim.objects.filter(identity_filter(person, claimant.email_hash))
        .select_related("program", "claim_type", "award")
        .order_by("-submitted_at")
    )


def claim_of(claimant: Claimant, reference: str) -> Claim:
    claim = claims_of(claimant).filter(reference=reference).first()
    if claim is None:
        raise Http404
    return claim


def claim_public_events(claim: Claim) -> QuerySet[ClaimEvent]:
    return claim.events.filter(internal=False).order_by("created_at", "id")


def claim_documents(claim: Claim) -> QuerySet[ClaimDocument]:
    return claim.documents.order_by("created_at", "id")


def staff_can_see_claim(user, claim: Claim) -> bool:
    if not (user.is_authenticated and user.is_staff and user.is_verified()):
        return False
    if user.has_perm("claims.change_claim") or user.has_perm("claims.view_claim"):
        return not _expert_only(user) or claim.referred_to_id == user.pk
    return False


def _expert_only(user) -> bool:
    return (
        not user.has_perm("claims.change_claim")
        and user.groups.filter(name=OUTSIDE_EXPERT).exists()
    )


def queue_for(user) -> QuerySet[Claim]:
    """The staff queue as `user` may see it: everything for staff, only the claims referred to
    them for an outside expert. Related rows are joined so a page costs fixed queries."""
    claims = Claim.objects.select_related(
        "program", "claim_type", "assigned_to", "referred_to", "person"
    )
    if _expert_only(user):
        claims = claims.filter(referred_to=user)
    return claims


def queue_filter(
    claims: QuerySet[Claim],
    *,
    status: str = "",
    claim_type: str = "",
    risk: str = "",
    sla: str = "",
    assigned: str = "",
    user=None,
) -> QuerySet[Claim]:
    if status:
        claims = claims.filter(status=status)
    if claim_type:
        claims = claims.filter(claim_type__code=claim_type)
    if risk:
        claims = claims.filter(risk=risk)
    now = timezone.now()
    if sla == "overdue":
        claims = claims.filter(status__in=Claim.OPEN_STATUSES, due_at__lt=now)
    elif sla == "due_soon":
        soon = now + dt.timedelta(hours=settings.CLAIMS_SLA_DUE_SOON_HOURS)
        claims = claims.filter(status__in=Claim.OPEN_STATUSES, due_at__gte=now, due_at__lt=soon)
    if assigned == "me" and user is not None:
        claims = claims.filter(assigned_to=user)
    elif assigned == "nobody":
        claims = claims.filter(assigned_to__isnull=True)
    return claims


def canned_responses_for(*, purpose: str, language: str) -> QuerySet[CannedResponse]:
    """The active standard replies of one purpose (a request for information, an answer to an
    inquiry, a message about a claim) in one language: the library all three draw on."""
    return CannedResponse.objects.filter(
        purpose=purpose, language=language, is_active=True
    ).order_by("title", "code")
