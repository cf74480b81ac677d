from rest_framework import serializers


class OrderFields(serializers.Serializer):
    """What the shop says of the order a voucher would pay for (optional)."""

    order_amount_minor = serializers.IntegerField(
        min_value=1,
        max_value=10**15,
        required=False,
        help_text="The order's amount in minor units of the voucher's currency: checked "
        "against the voucher's minimum; a single-use voucher pays at most this and the rest "
        "is forfeited, a partial one pays at most this and keeps the rest. Not sent: the "
        "whole value applies, and a voucher with a minimum is refused (order_below_minimum).",
    )
    categories = serializers.ListField(
        child=serializers.SlugField(max_length=40),
        max_length=50,
        required=False,
        help_text="Category codes of what the voucher would pay for; a voucher excluding one "
        "of them is refused (category_excluded).",
    )


class ValidateRequest(OrderFields):
    """A voucher, by its code or (bound vouchers) by its id from the customer's list, exactly
    one of the two, and optionally the order it would pay for."""

    code = serializers.CharField(
        max_length=40,
        required=False,
        help_text="As printed: ABCD-EFGH-JKLM-NPQR-X. Or send voucher_id.",
    )
    voucher_id = serializers.CharField(
        max_length=40,
        required=False,
        help_text="Instead of a code, a bound voucher's id from the customer's voucher list "
        "(auto-apply); customer_ref must then be the customer's account reference.",
    )
    customer_ref = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Your id for the customer (their account reference): failed attempts are "
        "throttled per customer, and a voucher bound to its holder's account is usable only "
        "with the holder's own reference.",
    )

    def validate(self, attrs: dict) -> dict:
        if bool(attrs.get("code")) == bool(attrs.get("voucher_id")):
            raise serializers.ValidationError("Send either code or voucher_id.")
        attrs["voucher_ref"] = attrs.pop("voucher_id", "")
        attrs.setdefault("code", "")
        attrs["order_amount_minor"] = attrs.get("order_amount_minor")
        attrs["categories"] = list(attrs.get("categories") or [])
        return attrs


class VoucherTerms(serializers.Serializer):
    redemption_mode = serializers.ChoiceField(
        choices=["single", "partial"],
        help_text="single: one order spends it, what the order leaves unused is forfeited; "
        "partial: it keeps the balance left, usable again until spent.",
    )
    minimum_order_minor = serializers.IntegerField(help_text="0: no minimum (for this holder).")
    excluded_categories = serializers.ListField(child=serializers.CharField())
    bound_to_account = serializers.BooleanField(
        help_text="Usable only with the holder's own account reference (customer_ref)."
    )


class ValidateResponse(VoucherTerms):
    valid = serializers.BooleanField()
    last4 = serializers.CharField()
    service_scope = serializers.CharField()
    amount_minor = serializers.IntegerField(help_text="What it was worth when issued.")
    balance_minor = serializers.IntegerField(help_text="What is left of it now.")
    currency = serializers.CharField()
    valid_until = serializers.DateTimeField(allow_null=True)
    order_amount_minor = serializers.IntegerField(allow_null=True)
    applied_minor = serializers.IntegerField(help_text="What a redeem now would pay.")
    forfeited_minor = serializers.IntegerField(
        help_text="Single use: what the customer would lose (the order leaves it unused)."
    )
    balance_after_minor = serializers.IntegerField(
        help_text="Partial: what would be left on the voucher after (single use: 0)."
    )


class RedeemRequest(ValidateRequest):
    order_reference = serializers.CharField(max_length=100)


class RedemptionResponse(serializers.Serializer):
    redemption_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=["live", "reversed"])
    order_reference = serializers.CharField()
    amount_minor = serializers.IntegerField(help_text="What the voucher paid for the order.")
    order_amount_minor = serializers.IntegerField(allow_null=True)
    forfeited_minor = serializers.IntegerField(
        help_text="Single use: what the order left unused and the customer lost."
    )
    balance_after_minor = serializers.IntegerField(
        help_text="What was left on the voucher right after (single use: 0)."
    )
    currency = serializers.CharField()
    service_scope = serializers.CharField()
    redeemed_at = serializers.DateTimeField()
    reversed_at = serializers.DateTimeField(allow_null=True)


class ReverseRequest(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ConditionRefusal(serializers.Serializer):
    """The problem body of a usable voucher refused for the order: the condition named."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    code = serializers.ChoiceField(choices=["order_below_minimum", "category_excluded"])
    detail = serializers.CharField()
    minimum_order_minor = serializers.IntegerField(required=False)
    currency = serializers.CharField(required=False)
    excluded_categories = serializers.ListField(child=serializers.CharField(), required=False)


class CustomerVoucher(VoucherTerms):
    voucher_id = serializers.CharField(
        help_text="Opaque and not guessable; for a bound voucher, redeem and validate take it "
        "instead of a code."
    )
    service_scope = serializers.CharField()
    amount_minor = serializers.IntegerField()
    balance_minor = serializers.IntegerField(help_text="What is left of it.")
    currency = serializers.CharField()
    valid_from = serializers.DateTimeField(allow_null=True)
    valid_until = serializers.DateTimeField(allow_null=True)
    auto_apply = serializers.BooleanField(
        help_text="True for a bound voucher: redeem it by voucher_id with this customer_ref."
    )


class CustomerVouchers(serializers.Serializer):
    vouchers = CustomerVoucher(many=True)
