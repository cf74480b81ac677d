from rest_framework import serializers


class ValidateRequest(serializers.Serializer):
    code = serializers.CharField(max_length=40, help_text="As printed: ABCD-EFGH-JKLM-NPQR-X.")
    customer_ref = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Your id for the customer; failed attempts are throttled per customer.",
    )


class ValidateResponse(serializers.Serializer):
    valid = serializers.BooleanField()
    last4 = serializers.CharField()
    service_scope = serializers.CharField()
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()
    valid_until = serializers.DateTimeField(allow_null=True)


class RedeemRequest(ValidateRequest):
    order_reference = serializers.CharField(max_length=100)


class RedemptionResponse(serializers.Serializer):
    redemption_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=["live", "reversed"])
    order_reference = serializers.CharField()
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()
    service_scope = serializers.CharField()
    redeemed_at = serializers.DateTimeField()
    reversed_at = serializers.DateTimeField(allow_null=True)


class ReverseRequest(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
