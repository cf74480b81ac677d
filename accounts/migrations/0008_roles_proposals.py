from django.db import migrations

from accounts.roles import roles_sync


class Migration(migrations.Migration):
    """Proposals (four eyes on money): operators see them; the auditor reads them."""

    dependencies = [
        ("accounts", "0007_roles_payouts"),
        ("audit", "0004_proposal"),
    ]
    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
