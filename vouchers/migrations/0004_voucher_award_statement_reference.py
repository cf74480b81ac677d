import django.db.models.deletion
from django.db import migrations, models

from compensation.references import references_sql

# The voucher's award joins its run and freeze among the references checked once per statement
# (compensation/references.py): the per-row foreign-key check was ~3 us of every voucher. The
# insert check of 0003 is replaced by one that covers all three.
_OLD_SQL, _OLD_REVERSE = references_sql(
    "vouchers_voucher",
    [("batch_id", "vouchers_voucherbatch"), ("freeze_id", "vouchers_voucherfreeze")],
)
_NEW_SQL, _NEW_REVERSE = references_sql(
    "vouchers_voucher",
    [
        ("award_id", "compensation_award"),
        ("batch_id", "vouchers_voucherbatch"),
        ("freeze_id", "vouchers_voucherfreeze"),
    ],
)


class Migration(migrations.Migration):
    dependencies = [
        ("vouchers", "0003_voucher_run_freeze_statement_references"),
    ]

    operations = [
        migrations.AlterField(
            model_name="voucher",
            name="award",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="vouchers",
                to="compensation.award",
            ),
        ),
        migrations.RunSQL(_OLD_REVERSE + _NEW_SQL, _NEW_REVERSE + _OLD_SQL),
    ]
