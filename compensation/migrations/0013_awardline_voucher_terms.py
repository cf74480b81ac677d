import django.contrib.postgres.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    """A voucher line's terms (redemption mode, minimum order, excluded categories, binding
    to the account, grace after a late refund). Defaults keep today's single-use vouchers."""

    dependencies = [
        ("compensation", "0012_program_terms"),
    ]

    operations = [
        migrations.AddField(
            model_name="awardline",
            name="redemption_mode",
            field=models.CharField(
                choices=[
                    ("single", "Single use, no change (the unused part is forfeited)"),
                    ("partial", "Partial: keeps the balance left until spent"),
                ],
                default="single",
                help_text="Single use: one order spends it, the unused part is forfeited. "
                "Partial: it keeps the balance left and can be used again until spent.",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="awardline",
            name="min_order_minor",
            field=models.BigIntegerField(
                blank=True,
                help_text="The smallest order (minor units) it can be used on; empty: any order.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="awardline",
            name="min_order_by_segment",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text='Another minimum for people of a segment, by segment: {"member": 0, '
                '"non_member": 30000}; a segment not listed has the minimum above.',
            ),
        ),
        migrations.AddField(
            model_name="awardline",
            name="excluded_categories",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.SlugField(max_length=40),
                blank=True,
                default=list,
                help_text="Category codes of an order it cannot pay for (the redeem call's "
                "`categories`), e.g. gift_card, tobacco.",
                size=None,
            ),
        ),
        migrations.AddField(
            model_name="awardline",
            name="excluded_categories_text",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="What it cannot be used for, as the holder reads it, by language: "
                '{"ko": "...", "en": "...", "zh-hans": "..."}.',
            ),
        ),
        migrations.AddField(
            model_name="awardline",
            name="bound_to_account",
            field=models.BooleanField(
                default=False,
                help_text="Only the holder's own account can use it: a redeem must carry the "
                "customer's account reference, and it must be the holder's.",
            ),
        ),
        migrations.AddField(
            model_name="awardline",
            name="reversal_grace_days",
            field=models.PositiveSmallIntegerField(
                default=0,
                help_text="A redemption reversed (refunded) after the voucher expired gives it "
                "back for this many days; 0: it stays expired.",
            ),
        ),
        migrations.AddConstraint(
            model_name="awardline",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("min_order_minor__isnull", True), ("min_order_minor__gte", 0), _connector="OR"
                ),
                name="awardline_min_order_nonneg",
            ),
        ),
        migrations.AddConstraint(
            model_name="awardline",
            constraint=models.CheckConstraint(
                condition=models.Q(("redemption_mode__in", ["single", "partial"])),
                name="awardline_redemption_mode_known",
            ),
        ),
    ]
