import django.db.models.deletion
from django.db import migrations, models

from compensation.references import references_sql

# Every affected person belongs to an existing program, checked once per statement (see
# compensation/references.py): the row-by-row foreign-key check cost ~2.5 us of every row a
# population import inserts.
SQL, REVERSE = references_sql(
    "compensation_affectedperson", [("program_id", "compensation_program")]
)


class Migration(migrations.Migration):
    dependencies = [
        ("compensation", "0006_population_import_speed"),
    ]

    operations = [
        migrations.AlterField(
            model_name="affectedperson",
            name="program",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="population",
                to="compensation.program",
            ),
        ),
        migrations.RunSQL(SQL, REVERSE),
    ]
