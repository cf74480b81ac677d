from django.db import migrations

from accounts.roles import roles_sync


class Migration(migrations.Migration):
    """Payout permissions: operators build batches, the new payments officer releases them
    and handles the bank's files, agents and reviewers view payouts, the auditor reads all."""

    dependencies = [
        ("accounts", "0006_roles_oversight"),
        ("payouts", "0001_initial"),
    ]
    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
