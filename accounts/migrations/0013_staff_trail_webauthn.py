from django.db import migrations

# The staff trail (0009_staff_trail.py) on security keys too: a key registered, renamed or
# revoked writes an audit row, whoever makes the change. The values recorded are whose key
# and whether it is confirmed; the credential id and public key never reach the trail, and a
# sign-in's bookkeeping (the signature counter, last use, backup state) writes no row.
TABLE = "django_otp_webauthn_webauthncredential"
SHOWN = "user_id,confirmed,name"
QUIET = (
    "sign_count,last_used_at,backup_state,updated_at,"
    "throttling_failure_count,throttling_failure_timestamp"
)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0012_user_language"),
        ("django_otp_webauthn", "0004_webauthnuserhandle"),
    ]
    operations = [
        migrations.RunSQL(
            f"CREATE TRIGGER {TABLE}_audit_trail AFTER INSERT OR UPDATE OR DELETE ON {TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION audit_staff_trail('{{{SHOWN}}}', '{{{QUIET}}}');",
            f"DROP TRIGGER IF EXISTS {TABLE}_audit_trail ON {TABLE};",
        )
    ]
