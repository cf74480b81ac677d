from django.db import migrations, models


class Migration(migrations.Migration):
    """A short, renewed lease on a claimed notice. A nullable column without a default: no
    rewrite of the outbox table, whatever its size."""

    dependencies = [("notifications", "0006_info_request_link")]

    operations = [
        migrations.AddField(
            model_name="notice",
            name="lease_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
