"""The staff payouts API, read-only: batches with their figures and progress, and payouts.
For a staff session that passed the second factor (as the staff claims endpoints), allowed
by role: view_payoutbatch for batches, view_payout for payouts. Nothing of a payment choice
but the masked last four digits is ever answered."""

from __future__ import annotations

import uuid
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

from payouts.models import Payout, PayoutBatch
from payouts.serializers import (
    PayoutBatchDetailSerializer,
    PayoutBatchSerializer,
    PayoutSerializer,
)


class IsVerifiedStaffWith(permissions.BasePermission):
    """A staff session with a verified second factor and the view's `staff_permission`."""

    code = "forbidden"  # the problem code of a refusal

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        staff = bool(user and user.is_authenticated and user.is_staff)
        # is_verified() is put on request.user by django-otp's OTPMiddleware (untyped).
        if not (staff and user.is_verified()):  # type: ignore[union-attr]
            raise NotAuthenticated("Sign in to the admin with your second factor first.")
        return user.has_perm(view.staff_permission)  # type: ignore[attr-defined]


class _Newest(CursorPagination):
    page_size = 50
    ordering = ("-created_at", "-id")


class _ById(CursorPagination):
    page_size = 100
    ordering = ("id",)


def _batches() -> QuerySet[PayoutBatch]:
    return PayoutBatch.objects.select_related("program", "built_by", "released_by")


_BATCH_PARAMS = [
    OpenApiParameter("status", str, enum=[s for s, _ in PayoutBatch.Status.choices]),
]


class StaffBatchList(generics.ListAPIView):
    """Payout batches, newest first."""

    authentication_classes = (SessionAuthentication,)
    permission_classes = (IsVerifiedStaffWith,)
    staff_permission = "payouts.view_payoutbatch"
    serializer_class = PayoutBatchSerializer
    pagination_class = _Newest

    @extend_schema(parameters=_BATCH_PARAMS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[PayoutBatch]:
        status = self.request.query_params.get("status", "")
        batches = _batches()
        return batches.filter(status=status) if status else batches


class StaffBatchDetail(generics.RetrieveAPIView):
    """One batch, with its payouts by status (count, amount) and its chunks sent."""

    authentication_classes = (SessionAuthentication,)
    permission_classes = (IsVerifiedStaffWith,)
    staff_permission = "payouts.view_payoutbatch"
    serializer_class = PayoutBatchDetailSerializer
    lookup_field = "public_id"

    def get_queryset(self) -> QuerySet[PayoutBatch]:
        return _batches()


_PAYOUT_PARAMS = [
    OpenApiParameter("batch", str, description="A batch's public_id (UUID)."),
    OpenApiParameter("status", str, enum=[s for s, _ in Payout.Status.choices]),
]


class StaffPayoutList(generics.ListAPIView):
    """Payouts in id order, optionally of one batch and in one status."""

    authentication_classes = (SessionAuthentication,)
    permission_classes = (IsVerifiedStaffWith,)
    staff_permission = "payouts.view_payout"
    serializer_class = PayoutSerializer
    pagination_class = _ById

    @extend_schema(parameters=_PAYOUT_PARAMS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Payout]:
        params = self.request.query_params
        payouts = Payout.objects.select_related("batch", "program", "instruction").only(
            "id",
            "reference",
            "method",
            "amount_minor",
            "currency",
            "status",
            "failure_code",
            "attempts",
            "settled_at",
            "created_at",
            "updated_at",
            "batch__public_id",
            "program__slug",
            "instruction__claim_reference",
            "instruction__details_last4",
        )
        batch = params.get("batch", "")
        if batch:
            batch_id = _uuid_or_none(batch)
            # A malformed batch id matches nothing (an empty page), not a server error.
            payouts = payouts.filter(batch__public_id=batch_id) if batch_id else payouts.none()
        status = params.get("status", "")
        return payouts.filter(status=status) if status else payouts


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
