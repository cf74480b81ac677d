from django.db import migrations

from accounts.roles import roles_sync


class Migration(migrations.Migration):
    """The claims review models (documents, canned responses) and the outside expert role."""

    dependencies = [
        ("accounts", "0003_roles_notifications"),
        ("claims", "0003_canned_responses"),
    ]
    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
