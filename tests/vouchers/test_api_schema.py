"""The schema says what the voucher API refuses: validate and redeem take a code or a
voucher_id, exactly one (schemathesis found the API refusing bodies the schema allowed)."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.exceptions import ValidationError

from vouchers.api.serializers import RedeemRequest, ValidateRequest

ONE_OF = [{"required": ["code"]}, {"required": ["voucher_id"]}]


def test_the_schema_asks_for_exactly_one_of_code_and_voucher_id():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    schemas = schema["components"]["schemas"]
    for name in ("ValidateRequestRequest", "RedeemRequestRequest"):
        assert schemas[name]["oneOf"] == ONE_OF, name
    assert "oneOf" not in schemas["ValidateResponse"]
    # No body at all names no voucher either: the body is required (schemathesis sent none).
    for path in ("/api/v1/vouchers/validate", "/api/v1/vouchers/redeem"):
        assert schema["paths"][path]["post"]["requestBody"]["required"] is True, path


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        ({"code": "ABCD-EFGH-JKLM-NPQR-X"}, True),
        ({"voucher_id": "vr1_abc"}, True),
        ({}, False),
        ({"code": "ABCD-EFGH-JKLM-NPQR-X", "voucher_id": "vr1_abc"}, False),
    ],
)
def test_the_serializers_agree_with_the_schema(body, valid):
    for serializer in (ValidateRequest, RedeemRequest):
        data = {**body, "order_reference": "order-1"} if serializer is RedeemRequest else body
        checked = serializer(data=data)
        assert checked.is_valid() is valid, (serializer.__name__, body, checked.errors)
        if not valid:
            with pytest.raises(ValidationError):
                checked.is_valid(raise_exception=True)
