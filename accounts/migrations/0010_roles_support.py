from django.db import migrations

from accounts.roles import roles_sync


class Migration(migrations.Migration):
    """The support desk's permissions: agents, reviewers and operators find people and resend
    their notices; the auditor finds people and reads their page."""

    dependencies = [
        ("accounts", "0009_staff_trail"),
        ("support", "0001_initial"),
    ]
    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
