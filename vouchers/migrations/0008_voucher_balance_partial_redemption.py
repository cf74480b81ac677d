from django.db import migrations, models


class Migration(migrations.Migration):
    """Partial redemption and forfeiture: a nullable balance on the voucher (null: untouched),
    and on each redemption the order's amount, what was forfeited and the balance after. The
    one-live-redemption index now covers single-use redemptions (a partial voucher has one
    live row per part)."""

    dependencies = [
        ("compensation", "0013_awardline_voucher_terms"),
        ("vouchers", "0007_validity_extension"),
    ]

    operations = [
        migrations.AddField(
            model_name="voucher",
            name="balance_minor",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="redemption",
            name="order_amount_minor",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="redemption",
            name="forfeited_minor",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="redemption",
            name="balance_after_minor",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name="voucher",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("balance_minor__isnull", True),
                    models.Q(
                        ("balance_minor__gte", 0),
                        ("balance_minor__lte", models.F("amount_minor")),
                    ),
                    _connector="OR",
                ),
                name="voucher_balance_within_amount",
            ),
        ),
        migrations.RemoveConstraint(model_name="redemption", name="redemption_one_live"),
        migrations.AddConstraint(
            model_name="redemption",
            constraint=models.UniqueConstraint(
                condition=models.Q(("balance_after_minor__isnull", True), ("status", "live")),
                fields=("voucher",),
                name="redemption_one_live",
            ),
        ),
        migrations.AddConstraint(
            model_name="redemption",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount_minor__gt", 0), ("forfeited_minor__gte", 0)),
                name="redemption_amounts_valid",
            ),
        ),
    ]
