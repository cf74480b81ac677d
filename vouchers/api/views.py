"""The redemption API for integrating services. Thin: authenticate, validate, one service
call, answer. Every error is a problem JSON body with a stable `code` (config.problems, DRF's
exception handler); a stored answer is replayed as it was first given."""

from __future__ import annotations

import uuid

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.problems import PROBLEM_CONTENT_TYPE, PROBLEM_REF, problem_body
from vouchers.api import serializers as s
from vouchers.api.auth import HasServiceKey, ServiceKeyAuthentication
from vouchers.errors import Throttled
from vouchers.models import ServiceKey
from vouchers.services import redemption
from vouchers.services.redemption import UNUSABLE_BODY, UNUSABLE_STATUS

EXAMPLE_CODE = "ABCD-EFGH-JKLM-NPQR-S"


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (a UUID). A retry with the same key returns the first "
    "answer; the same key with different content is refused (409 idempotency_key_reused).",
)
UNUSABLE_EXAMPLE = OpenApiExample(
    "Wrong, unknown, used or frozen code (always the same answer)",
    value=UNUSABLE_BODY,
    status_codes=[str(UNUSABLE_STATUS)],
    response_only=True,
)
THROTTLED_EXAMPLE = OpenApiExample(
    "Too many failed attempts",
    value=problem_body(
        status=Throttled.status,
        code=Throttled.code,
        title=Throttled.title,
        detail="Too many failed attempts for this customer; try again later.",
    ),
    status_codes=["429"],
    response_only=True,
)


class VoucherAPIView(APIView):
    authentication_classes = [ServiceKeyAuthentication]
    permission_classes = [HasServiceKey]
    problem_title = "Request refused"  # for errors that bring no title of their own

    @staticmethod
    def service_key(request: Request) -> ServiceKey:
        """The caller's key (HasServiceKey refused the request otherwise)."""
        key = request.auth
        assert isinstance(key, ServiceKey)
        return key

    @staticmethod
    def answer(result: redemption.Answer) -> HttpResponse:
        # The answer's own text, not a fresh rendering: a replay is the first answer's bytes.
        content_type = PROBLEM_CONTENT_TYPE if result.status >= 400 else "application/json"
        response = HttpResponse(
            result.content.encode(), status=result.status, content_type=content_type
        )
        if result.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 255:
        raise exceptions.ValidationError({"Idempotency-Key": "at most 255 characters"})
    return key or None


class ValidateView(VoucherAPIView):
    @extend_schema(
        operation_id="voucher_validate",
        summary="Check a code for a cart (nothing is spent)",
        request=s.ValidateRequest,
        responses={
            200: s.ValidateResponse,
            UNUSABLE_STATUS: PROBLEM_REF,
            429: PROBLEM_REF,
            503: PROBLEM_REF,
        },
        examples=[
            OpenApiExample("A code", value={"code": EXAMPLE_CODE, "customer_ref": "cust-81723"}),
            OpenApiExample(
                "Usable",
                value={
                    "valid": True,
                    "last4": "NPQR",
                    "service_scope": "eats",
                    "amount_minor": 5000,
                    "currency": "KRW",
                    "valid_until": "2026-07-15T00:00:00+09:00",
                },
                response_only=True,
            ),
            UNUSABLE_EXAMPLE,
            THROTTLED_EXAMPLE,
        ],
    )
    def post(self, request: Request) -> Response:
        form = s.ValidateRequest(data=request.data)
        form.is_valid(raise_exception=True)
        return Response(
            redemption.voucher_validate(
                service_key=self.service_key(request), **form.validated_data
            )
        )


class RedeemView(VoucherAPIView):
    @extend_schema(
        operation_id="voucher_redeem",
        summary="Redeem a code for an order, exactly once",
        parameters=[IDEMPOTENCY_HEADER],
        request=s.RedeemRequest,
        responses={
            201: s.RedemptionResponse,
            409: PROBLEM_REF,
            UNUSABLE_STATUS: PROBLEM_REF,
            429: PROBLEM_REF,
            503: PROBLEM_REF,
        },
        examples=[
            OpenApiExample(
                "Redeem",
                value={
                    "code": EXAMPLE_CODE,
                    "order_reference": "EATS-2026-000123",
                    "customer_ref": "cust-81723",
                },
            ),
            OpenApiExample(
                "Redeemed",
                value={
                    "redemption_id": "5b8f2f4e-3c1a-4d8e-9f57-2a4f0d4c9e11",
                    "status": "live",
                    "order_reference": "EATS-2026-000123",
                    "amount_minor": 5000,
                    "currency": "KRW",
                    "service_scope": "eats",
                    "redeemed_at": "2026-01-20T12:03:11+09:00",
                    "reversed_at": None,
                },
                status_codes=["201"],
                response_only=True,
            ),
            UNUSABLE_EXAMPLE,
            THROTTLED_EXAMPLE,
        ],
    )
    def post(self, request: Request) -> HttpResponse:
        form = s.RedeemRequest(data=request.data)
        form.is_valid(raise_exception=True)
        return self.answer(
            redemption.voucher_redeem(
                service_key=self.service_key(request),
                idempotency_key=_idempotency_key(request),
                **form.validated_data,
            )
        )


class ReverseView(VoucherAPIView):
    @extend_schema(
        operation_id="redemption_reverse",
        summary="Reverse a redemption on refund (the voucher is usable again)",
        parameters=[IDEMPOTENCY_HEADER],
        request=s.ReverseRequest,
        responses={200: s.RedemptionResponse, 404: PROBLEM_REF},
        examples=[OpenApiExample("Refund", value={"reason": "order cancelled"})],
    )
    def post(self, request: Request, redemption_id: uuid.UUID) -> HttpResponse:
        form = s.ReverseRequest(data=request.data)
        form.is_valid(raise_exception=True)
        return self.answer(
            redemption.redemption_reverse(
                service_key=self.service_key(request),
                redemption_id=str(redemption_id),
                reason=form.validated_data["reason"],
                idempotency_key=_idempotency_key(request),
            )
        )
