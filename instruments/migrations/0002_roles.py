from django.db import migrations

from accounts.roles import roles_sync


class Migration(migrations.Migration):
    """The instruments' permissions: operators import, freeze and export the seller clusters;
    the auditor reads them."""

    dependencies = [
        ("accounts", "0011_roles_settle_program"),
        ("instruments", "0001_initial"),
    ]
    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
