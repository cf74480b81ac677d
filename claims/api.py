"""The claims REST API: a claimant's own claims (their claimant session), and the staff queue
(a staff session that passed the second factor). Another person's claim answers 404, like a
claim that does not exist. Errors are problem+json bodies with a stable `code`
(config.problems, DRF's exception handler)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotAuthenticated
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from claims.models import Claim
from claims.selectors import claim_of, claims_of, queue_filter, queue_for
from claims.serializers import ClaimantClaimSerializer, QueueClaimSerializer
from compensation.claimant_session import Claimant, claimant_get
from config.api_permissions import IsVerifiedStaff


class IsClaimant(permissions.BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        claimant = claimant_get(request._request)
        if claimant is None or claimant.email_hash is None:
            raise NotAuthenticated("Sign in with a one-time code first.")
        # Kept on the request for the view, like request.user (the stubs know only those).
        request._request.claimant = claimant  # type: ignore[attr-defined]
        return True


def _claimant(request: Request) -> Claimant:
    """The claimant IsClaimant found (permissions run before the view)."""
    claimant: Claimant = request._request.claimant  # type: ignore[attr-defined]
    return claimant


class _Cursor(CursorPagination):
    page_size = 50
    ordering = "-submitted_at"


class ClaimantClaimList(generics.ListAPIView):
    """The signed-in claimant's own claims."""

    authentication_classes: list = []
    permission_classes = [IsClaimant]
    serializer_class = ClaimantClaimSerializer
    pagination_class = _Cursor

    def get_queryset(self) -> QuerySet[Claim]:
        return claims_of(_claimant(self.request))

    def get_serializer_context(self) -> Mapping[str, Any]:
        return {**super().get_serializer_context(), "language": self.request.LANGUAGE_CODE}


class ClaimantClaimDetail(generics.RetrieveAPIView):
    authentication_classes: list = []
    permission_classes = [IsClaimant]
    serializer_class = ClaimantClaimSerializer

    def get_object(self) -> Claim:
        return claim_of(_claimant(self.request), self.kwargs["reference"])

    def get_serializer_context(self) -> Mapping[str, Any]:
        return {**super().get_serializer_context(), "language": self.request.LANGUAGE_CODE}


_QUEUE_PARAMS = [
    OpenApiParameter("status", str, enum=[s for s, _ in Claim.Status.choices]),
    OpenApiParameter("claim_type", str),
    OpenApiParameter("risk", str, enum=[r for r, _ in Claim.Risk.choices]),
    OpenApiParameter("sla", str, enum=["due_soon", "overdue"]),
    OpenApiParameter("assigned", str, enum=["me", "nobody"]),
    OpenApiParameter("ordering", str, enum=["age", "-age", "risk", "-risk"]),
]
_ORDERING = {"age": "submitted_at", "-age": "-submitted_at", "risk": "score", "-risk": "-score"}


class QueueCursor(CursorPagination):
    page_size = 50

    def get_ordering(
        self, request: Request, queryset: QuerySet[Claim], view: APIView
    ) -> tuple[str, ...]:
        field = _ORDERING.get(request.query_params.get("ordering", "age"), "submitted_at")
        return (field, "id" if not field.startswith("-") else "-id")


class StaffQueue(generics.ListAPIView):
    """The review queue, with the admin's filters and sorting (age, risk)."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsVerifiedStaff]
    staff_permission = "claims.view_claim"
    serializer_class = QueueClaimSerializer
    pagination_class = QueueCursor

    @extend_schema(parameters=_QUEUE_PARAMS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Claim]:
        params = self.request.query_params
        return queue_filter(
            queue_for(self.request.user),
            status=params.get("status", ""),
            claim_type=params.get("claim_type", ""),
            risk=params.get("risk", ""),
            sla=params.get("sla", ""),
            assigned=params.get("assigned", ""),
            user=self.request.user,
        )


class StaffClaimDetail(generics.RetrieveAPIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsVerifiedStaff]
    staff_permission = "claims.view_claim"
    serializer_class = QueueClaimSerializer
    lookup_field = "reference"

    def get_queryset(self) -> QuerySet[Claim]:
        return queue_for(self.request.user)
