"""The staff payouts API, read-only: batches with their figures and progress, and payouts.
For a staff session that passed the second factor (as the staff claims endpoints), allowed
by role: view_payoutbatch for batches, view_payout for payouts. Nothing of a payment choice
but the masked last four digits is ever answered."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from config.api_permissions import IsVerifiedStaff
from config.problems import PROBLEM_REF
from payouts.models import Payout, PayoutBatch
from payouts.serializers import (
    PayoutBatchDetailSerializer,
    PayoutBatchSerializer,
    PayoutSerializer,
)


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
# A list may also refuse a filter (400) or a cursor it did not make (404).
_LIST_ERRORS = {
    400: OpenApiResponse(PROBLEM_REF, description="A filter is not valid."),
    404: OpenApiResponse(PROBLEM_REF, description="The cursor is not valid."),
}


def _choice(params: QueryDict, name: str, choices: list[str]) -> str:
    """The filter's value, '' when absent; 400 for a value (even empty) not in `choices`."""
    value = params.get(name)
    if value is not None and value not in choices:
        raise ValidationError({name: f"one of {', '.join(choices)}"})
    return value or ""


class StaffBatchList(generics.ListAPIView):
    """Payout batches, newest first."""

    authentication_classes = (SessionAuthentication,)
    permission_classes = (IsVerifiedStaff,)
    staff_permission = "payouts.view_payoutbatch"
    serializer_class = PayoutBatchSerializer
    pagination_class = _Newest

    @extend_schema(parameters=_BATCH_PARAMS, responses={200: PayoutBatchSerializer, **_LIST_ERRORS})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[PayoutBatch]:
        status = _choice(self.request.query_params, "status", PayoutBatch.Status.values)
        batches = _batches()
        return batches.filter(status=status) if status else batches


class StaffBatchDetail(generics.RetrieveAPIView):
    """One batch, with its payouts by status (count, amount) and its chunks sent."""

    authentication_classes = (SessionAuthentication,)
    permission_classes = (IsVerifiedStaff,)
    staff_permission = "payouts.view_payoutbatch"
    serializer_class = PayoutBatchDetailSerializer
    lookup_field = "public_id"

    def get_queryset(self) -> QuerySet[PayoutBatch]:
        return _batches()


_PAYOUT_PARAMS = [
    OpenApiParameter("batch", OpenApiTypes.UUID, description="A batch's public_id."),
    OpenApiParameter("status", str, enum=[s for s, _ in Payout.Status.choices]),
]


class StaffPayoutList(generics.ListAPIView):
    """Payouts in id order, optionally of one batch and in one status."""

    authentication_classes = (SessionAuthentication,)
    permission_classes = (IsVerifiedStaff,)
    staff_permission = "payouts.view_payout"
    serializer_class = PayoutSerializer
    pagination_class = _ById

    @extend_schema(parameters=_PAYOUT_PARAMS, responses={200: PayoutSerializer, **_LIST_ERRORS})
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
        batch = params.get("batch")
        if batch is not None:
            try:
                payouts = payouts.filter(batch__public_id=uuid.UUID(batch))
            except ValueError:
                raise ValidationError({"batch": "a batch's public_id (UUID)"}) from None
        status = _choice(params, "status", Payout.Status.values)
        return payouts.filter(status=status) if status else payouts
