from django.db import migrations

from accounts.roles import roles_sync


class Migration(migrations.Migration):
    """Inquiries' permissions: agents, reviewers and operators see the queue and answer; the
    auditor reads it."""

    dependencies = [
        ("accounts", "0012_user_language"),
        ("support", "0002_inquiries"),
    ]
    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
