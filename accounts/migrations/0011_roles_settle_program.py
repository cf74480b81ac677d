from django.db import migrations

from accounts.roles import roles_sync


class Migration(migrations.Migration):
    """Program operators settle pro-rata pools (compensation.settle_program): one proposes on
    the settle page, another approves (four eyes)."""

    dependencies = [("accounts", "0010_roles_support")]
    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
