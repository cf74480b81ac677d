from django.db import migrations

from accounts.roles import roles_sync


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_roles"),
        ("notifications", "0002_default_templates"),
    ]
    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
