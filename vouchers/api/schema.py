"""The voucher API's request bodies as the schema states them: validate and redeem take a
code or a voucher_id, exactly one (the serializer refuses neither and both with 400), so a
client generated from the schema, or schemathesis, never sends a body the API must refuse."""

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension


class CodeOrVoucherId(OpenApiSerializerExtension):
    target_class = "vouchers.api.serializers.ValidateRequest"
    match_subclasses = True  # RedeemRequest too

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema = auto_schema._map_basic_serializer(self.target, direction)
        if direction == "request":
            schema["oneOf"] = [{"required": ["code"]}, {"required": ["voucher_id"]}]
        return schema
