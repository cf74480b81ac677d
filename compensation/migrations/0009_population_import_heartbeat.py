from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("compensation", "0008_award_statement_references"),
    ]

    operations = [
        migrations.AddField(
            model_name="populationimport",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="populationimport",
            name="source_deleted_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="populationimport",
            index=models.Index(
                condition=models.Q(("status__in", ["pending", "loading", "merging"])),
                fields=["heartbeat_at"],
                name="population_import_open_idx",
            ),
        ),
    ]
