from rest_framework import serializers

from claims.models import Claim
from claims.presenters import claim_reasons


class ClaimantClaimSerializer(serializers.ModelSerializer):
    """What a claimant may know about their own claim."""

    program = serializers.CharField(source="program.slug")
    claim_type = serializers.CharField(source="claim_type.code")
    reasons = serializers.SerializerMethodField()
    currency = serializers.CharField(source="program.currency")

    class Meta:
        model = Claim
        fields = [
            "reference",
            "program",
            "claim_type",
            "status",
            "submitted_at",
            "due_at",
            "decided_at",
            "amount_claimed_minor",
            "amount_decided_minor",
            "currency",
            "info_request",
            "info_due_at",
            "reasons",
        ]

    def get_reasons(self, claim: Claim) -> list[str]:
        return claim_reasons(claim, self.context.get("language", claim.language))


class QueueClaimSerializer(serializers.ModelSerializer):
    """A row of the staff queue (no contact details)."""

    program = serializers.CharField(source="program.slug")
    claim_type = serializers.CharField(source="claim_type.code")
    assigned_to = serializers.CharField(source="assigned_to.email", default=None)
    signals = serializers.SerializerMethodField()
    on_affected_list = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = [
            "reference",
            "program",
            "claim_type",
            "status",
            "risk",
            "score",
            "screening_outcome",
            "signals",
            "on_affected_list",
            "submitted_at",
            "due_at",
            "assigned_to",
            "amount_claimed_minor",
            "amount_decided_minor",
        ]

    def get_signals(self, claim: Claim) -> list[str]:
        return [s["code"] for s in claim.signals or []]

    def get_on_affected_list(self, claim: Claim) -> bool:
        return claim.person_id is not None
