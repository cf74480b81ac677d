from django.db import migrations

from accounts.roles import roles_sync


class Migration(migrations.Migration):
    """Voucher permissions for the roles: operators issue and freeze, agents and reviewers
    view, the auditor reads everything."""

    dependencies = [
        ("accounts", "0004_roles_claims"),
        ("vouchers", "0001_initial"),
    ]
    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
