"""What the staff API says about batches and payouts: figures, states and references, and of a
payment choice only the masked last four digits (never the details, the bank or the holder)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from payouts.models import Payout, PayoutBatch
from payouts.selectors import batch_progress


class PayoutBatchSerializer(serializers.ModelSerializer):
    program = serializers.CharField(source="program.slug")
    built_by = serializers.CharField(source="built_by.email")
    released_by = serializers.CharField(source="released_by.email", default=None)

    class Meta:
        model = PayoutBatch
        fields: tuple[str, ...] = (
            "public_id",
            "program",
            "method",
            "status",
            "currency",
            "amount_min_minor",
            "amount_max_minor",
            "approved_before",
            "payouts_count",
            "total_minor",
            "built_by",
            "released_by",
            "created_at",
            "built_at",
            "released_at",
            "settled_at",
            "file_sha256",
            "file_lines",
            "exported_at",
        )


class StatusFigureSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Payout.Status.choices)
    count = serializers.IntegerField()
    amount_minor = serializers.IntegerField()


class BatchProgressSerializer(serializers.Serializer):
    by_status = StatusFigureSerializer(many=True)
    chunks_done = serializers.IntegerField()
    chunks_pending = serializers.IntegerField()


class PayoutBatchDetailSerializer(PayoutBatchSerializer):
    progress = serializers.SerializerMethodField()

    class Meta(PayoutBatchSerializer.Meta):
        fields = (*PayoutBatchSerializer.Meta.fields, "progress")

    @extend_schema_field(BatchProgressSerializer)
    def get_progress(self, batch: PayoutBatch) -> dict:
        progress = batch_progress(batch)
        return {
            "by_status": [
                {"status": status, "count": count, "amount_minor": amount}
                for status, (count, amount) in progress.by_status.items()
            ],
            "chunks_done": progress.chunks_done,
            "chunks_pending": progress.chunks_pending,
        }


class PayoutSerializer(serializers.ModelSerializer):
    batch = serializers.UUIDField(source="batch.public_id")
    program = serializers.CharField(source="program.slug")
    claim_reference = serializers.CharField(source="instruction.claim_reference")
    account = serializers.CharField(
        source="instruction.masked", help_text="The last four digits only: ****1234."
    )

    class Meta:
        model = Payout
        fields = (
            "reference",
            "batch",
            "program",
            "claim_reference",
            "method",
            "amount_minor",
            "currency",
            "status",
            "failure_code",
            "account",
            "attempts",
            "settled_at",
            "created_at",
            "updated_at",
        )
