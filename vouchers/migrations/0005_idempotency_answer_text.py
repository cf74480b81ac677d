from django.db import migrations, models

# An idempotent answer is kept as the text that was sent: jsonb reorders an object's keys, so
# a replay was the same values in another order. Answers kept before stay in jsonb's order
# (the order they have been replayed in since).


class Migration(migrations.Migration):
    dependencies = [
        ("vouchers", "0004_voucher_award_statement_reference"),
    ]

    operations = [
        migrations.AlterField(
            model_name="idempotencyrecord",
            name="response_body",
            field=models.TextField(default=""),
        ),
    ]
