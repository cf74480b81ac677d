from pathlib import Path

from django.conf import settings
from django.db import migrations, models


def stored_paths_to_names(apps, schema_editor):
    """A file the import stored was named by its absolute path below IMPORT_ROOT; it is now
    named in the population storage (whose default folder is IMPORT_ROOT). Unfinished imports
    only: a finished one deleted its file."""
    PopulationImport = apps.get_model("compensation", "PopulationImport")
    root = Path(settings.IMPORT_ROOT).resolve()
    for row in PopulationImport.objects.filter(source_deleted_at=None).only("source_path"):
        path = Path(row.source_path)
        if path.is_absolute() and path.parent == root and path.name.startswith("population-"):
            PopulationImport.objects.filter(pk=row.pk).update(source_path=path.name)


class Migration(migrations.Migration):
    dependencies = [
        ("compensation", "0013_awardline_voucher_terms"),
    ]

    operations = [
        migrations.AlterField(
            model_name="populationimport",
            name="source_path",
            field=models.CharField(
                editable=False,
                help_text="The file's name in the population storage, or the absolute path of a "
                "file imported in place (compensation/services/population_files.py).",
                max_length=500,
            ),
        ),
        migrations.RunPython(stored_paths_to_names, migrations.RunPython.noop, elidable=True),
    ]
