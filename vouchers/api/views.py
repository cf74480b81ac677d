"""The redemption API for integrating services. Thin: authenticate, validate, one service
call, answer. Every error is a problem JSON body with a stable `code` (config.problems, DRF's
exception handler); a stored answer is replayed as it was first given."""

from __future__ import annotations

import uuid

from django.http import HttpResponse
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.problems import PROBLEM_CONTENT_TYPE, PROBLEM_REF, problem_body
from vouchers.api import schema as _schema  # noqa: F401 (registers the body schemas)
from vouchers.api import serializers as s
from vouchers.api.auth import HasServiceKey, ServiceKeyAuthentication
from vouchers.errors import ListThrottled, Throttled, VoucherConditionUnmet
from vouchers.models import ServiceKey
from vouchers.selectors import customer_vouchers
from vouchers.services import redemption
from vouchers.services.binding import account_ref_normalize, voucher_ref
from vouchers.services.list_throttle import customer_list_take
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
BELOW_MINIMUM_EXAMPLE = OpenApiExample(
    "Usable, but the order is below its minimum",
    value={
        "type": "urn:problem:order_below_minimum",
        "title": VoucherConditionUnmet.title,
        "status": 422,
        "code": "order_below_minimum",
        "detail": "This voucher can be used on orders of at least 30000 (minor units of KRW); "
        "send the order's amount in order_amount_minor.",
        "minimum_order_minor": 30000,
        "currency": "KRW",
    },
    status_codes=["422"],
    response_only=True,
)
LIST_THROTTLED_EXAMPLE = OpenApiExample(
    "Too many list requests",
    value=problem_body(
        status=ListThrottled.status,
        code=ListThrottled.code,
        title=ListThrottled.title,
        detail="Too many voucher list requests for this customer; try again later.",
    ),
    status_codes=["429"],
    response_only=True,
)
RETRY_AFTER = OpenApiResponse(
    PROBLEM_REF,
    description="Too many list requests with this key, or for this customer "
    "(`too_many_requests`); `Retry-After` says the seconds left of the window.",
)
CUSTOMER_NOT_FOUND_BODY = problem_body(
    status=404,
    code="customer_vouchers_not_found",
    title="No usable vouchers for this customer",
    detail="No usable voucher of your service belongs to this customer reference.",
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
            422: s.ConditionRefusal,
            429: PROBLEM_REF,
            503: PROBLEM_REF,
        },
        examples=[
            OpenApiExample(
                "A code and the order",
                value={
                    "code": EXAMPLE_CODE,
                    "customer_ref": "cust-81723",
                    "order_amount_minor": 3000,
                },
            ),
            OpenApiExample(
                "Usable (single use: 2,000 of it would be lost)",
                value={
                    "valid": True,
                    "last4": "NPQR",
                    "service_scope": "eats",
                    "amount_minor": 5000,
                    "balance_minor": 5000,
                    "currency": "KRW",
                    "valid_until": "2026-07-15T00:00:00+09:00",
                    "redemption_mode": "single",
                    "minimum_order_minor": 0,
                    "excluded_categories": [],
                    "bound_to_account": False,
                    "order_amount_minor": 3000,
                    "applied_minor": 3000,
                    "forfeited_minor": 2000,
                    "balance_after_minor": 0,
                },
                response_only=True,
            ),
            UNUSABLE_EXAMPLE,
            BELOW_MINIMUM_EXAMPLE,
            THROTTLED_EXAMPLE,
        ],
    )
    def post(self, request: Request) -> Response:
        form = s.ValidateRequest(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            answer = redemption.voucher_validate(
                service_key=self.service_key(request), **form.validated_data
            )
        except VoucherConditionUnmet as unmet:
            return Response(unmet.body(), status=unmet.status, content_type=PROBLEM_CONTENT_TYPE)
        return Response(answer)


class RedeemView(VoucherAPIView):
    @extend_schema(
        operation_id="voucher_redeem",
        summary="Redeem a code (or a bound voucher's id) for an order, exactly once",
        description="A single-use voucher is spent whole and what the order leaves unused is "
        "forfeited; a partial one pays min(order, balance) and keeps the rest. An otherwise "
        "usable voucher refused for the order answers 422 naming the condition; every other "
        "refusal is the same 404.",
        parameters=[IDEMPOTENCY_HEADER],
        request=s.RedeemRequest,
        responses={
            201: s.RedemptionResponse,
            409: PROBLEM_REF,
            UNUSABLE_STATUS: PROBLEM_REF,
            422: s.ConditionRefusal,
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
                    "order_amount_minor": 3000,
                },
            ),
            OpenApiExample(
                "Auto-apply a bound voucher from the customer's list",
                value={
                    "voucher_id": "vr1_k5qxg2m7w3c4a9p8r6t2y4u3ea",
                    "order_reference": "EATS-2026-000124",
                    "customer_ref": "cust-81723",
                    "order_amount_minor": 12000,
                },
            ),
            OpenApiExample(
                "Redeemed",
                value={
                    "redemption_id": "5b8f2f4e-3c1a-4d8e-9f57-2a4f0d4c9e11",
                    "status": "live",
                    "order_reference": "EATS-2026-000123",
                    "amount_minor": 3000,
                    "order_amount_minor": 3000,
                    "forfeited_minor": 0,
                    "balance_after_minor": 2000,
                    "currency": "KRW",
                    "service_scope": "eats",
                    "redeemed_at": "2026-01-20T12:03:11+09:00",
                    "reversed_at": None,
                },
                status_codes=["201"],
                response_only=True,
            ),
            UNUSABLE_EXAMPLE,
            BELOW_MINIMUM_EXAMPLE,
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


CUSTOMER_REF = OpenApiParameter(
    "customer_ref",
    str,
    OpenApiParameter.PATH,
    description="The customer's account reference (their account id), as in customer_ref.",
)


class CustomerVouchersView(VoucherAPIView):
    @extend_schema(
        operation_id="customer_vouchers",
        summary="A customer's usable vouchers for your service (no codes)",
        description="Each with an opaque id, what is left, its conditions and its end date; "
        "a bound one (auto_apply) is redeemed by its voucher_id with this customer_ref. An "
        "unknown customer and one with nothing usable in your service get the same 404. "
        "Requests are limited per service key and per key and customer (429).",
        parameters=[CUSTOMER_REF],
        responses={200: s.CustomerVouchers, 404: PROBLEM_REF, 429: RETRY_AFTER, 503: PROBLEM_REF},
        examples=[
            OpenApiExample(
                "Two vouchers",
                value={
                    "vouchers": [
                        {
                            "voucher_id": "vr1_k5qxg2m7w3c4a9p8r6t2y4u3ea",
                            "service_scope": "eats",
                            "amount_minor": 5000,
                            "balance_minor": 2000,
                            "currency": "KRW",
                            "valid_from": "2026-01-15T00:00:00+09:00",
                            "valid_until": "2026-04-15T00:00:00+09:00",
                            "redemption_mode": "partial",
                            "minimum_order_minor": 0,
                            "excluded_categories": ["gift_card"],
                            "bound_to_account": True,
                            "auto_apply": True,
                        }
                    ]
                },
                response_only=True,
            ),
            LIST_THROTTLED_EXAMPLE,
        ],
    )
    def get(self, request: Request, customer_ref: str) -> Response:
        ref = account_ref_normalize(customer_ref)
        customer_list_take(service_key_id=self.service_key(request).pk, customer_ref=ref[:100])
        found = (
            customer_vouchers(
                service_scope=self.service_key(request).service_scope, customer_ref=ref
            )
            if ref and len(ref) <= 100
            else []
        )
        if not found:
            return Response(CUSTOMER_NOT_FOUND_BODY, status=404, content_type=PROBLEM_CONTENT_TYPE)
        return Response(
            {
                "vouchers": [
                    {
                        "voucher_id": voucher_ref(v.voucher_id),
                        "service_scope": v.service_scope,
                        "amount_minor": v.amount_minor,
                        "balance_minor": v.balance_minor,
                        "currency": v.currency,
                        "valid_from": v.valid_from.isoformat() if v.valid_from else None,
                        "valid_until": v.valid_until.isoformat() if v.valid_until else None,
                        "redemption_mode": v.redemption_mode,
                        "minimum_order_minor": v.minimum_order_minor,
                        "excluded_categories": list(v.excluded_categories),
                        "bound_to_account": v.bound_to_account,
                        "auto_apply": v.bound_to_account,
                    }
                    for v in found
                ]
            }
        )
