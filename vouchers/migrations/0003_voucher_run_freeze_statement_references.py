from django.db import migrations

from compensation.references import references_sql

# A voucher's run and freeze, checked by the database once per statement (see
# compensation/references.py) rather than not at all (0002 dropped the per-row foreign keys,
# 3-4 us and ~1 us of every voucher written).
SQL, REVERSE = references_sql(
    "vouchers_voucher",
    [("batch_id", "vouchers_voucherbatch"), ("freeze_id", "vouchers_voucherfreeze")],
)


class Migration(migrations.Migration):
    dependencies = [
        ("vouchers", "0002_voucher_run_freeze_not_db_keys"),
        ("compensation", "0008_award_statement_references"),
    ]

    operations = [migrations.RunSQL(SQL, REVERSE)]
