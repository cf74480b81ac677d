from django.contrib.postgres.indexes import GinIndex, HashIndex
from django.contrib.postgres.operations import AddIndexConcurrently, TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    """The support desk's look-ups of a person: by the keyed phone hash (a hash index, like the
    email's) and by name (pg_trgm trigrams in a GIN index). Built CONCURRENTLY, so a live
    33.7M-person table keeps taking reads and writes while they build (outside a transaction:
    a failed build leaves an INVALID index to drop and build again)."""

    atomic = False

    dependencies = [("compensation", "0010_program_name_incident_summary_i18n")]

    operations = [
        TrigramExtension(),
        AddIndexConcurrently(
            model_name="affectedperson",
            index=HashIndex(fields=["phone_hash"], name="affected_phone_hash_idx"),
        ),
        AddIndexConcurrently(
            model_name="affectedperson",
            index=GinIndex(
                fields=["name"], name="affected_name_trgm_idx", opclasses=["gin_trgm_ops"]
            ),
        ),
    ]
