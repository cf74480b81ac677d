from django.db import migrations

# Every change to staff accounts, groups, permissions and second-factor devices writes an
# audit row, whoever makes it: the admin, the shell, a migration or raw SQL. Row triggers on
# the tables insert into audit_auditevent in the same transaction:
#
#   action      trail.<table>.<insert|update|delete>
#   object      the table and the row's id
#   before      {"values": ...}  (update, delete)
#   after       {"values": ..., "changed": [column names] (update), "db_user": the role}
#   actor_label user:<id> when the application named its staff member for the transaction
#               (SET LOCAL audit.actor_id, accounts/trail.py), else db:<database role>
#
# Values are recorded only for the columns listed per table below; of the others only the
# name of a changed column is. So the password hash, the TOTP key, static tokens, emails and
# names never reach the trail. An update that changes only bookkeeping columns (the last
# sign-in, a TOTP device's counter and drift, throttling) writes no row. TRUNCATE (the test
# suite's flush) is not recorded. A permission is named ("app.codename") and a group by its
# name beside their ids.
FUNCTIONS = """
CREATE FUNCTION audit_trail_named(v jsonb) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT v
        || CASE WHEN v ? 'permission_id' THEN jsonb_build_object('permission', (
               SELECT ct.app_label || '.' || p.codename FROM auth_permission p
               JOIN django_content_type ct ON ct.id = p.content_type_id
               WHERE p.id = (v ->> 'permission_id')::int)) ELSE '{}'::jsonb END
        || CASE WHEN v ? 'group_id' THEN jsonb_build_object('group', (
               SELECT g.name FROM auth_group g WHERE g.id = (v ->> 'group_id')::int))
           ELSE '{}'::jsonb END
$$;

CREATE FUNCTION audit_staff_trail() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    shown text[] := TG_ARGV[0]::text[];
    quiet text[] := TG_ARGV[1]::text[];
    old_row jsonb;
    new_row jsonb;
    changed text[];
    keep text[];
    actor text := nullif(current_setting('audit.actor_id', true), '');
    before_doc jsonb;
    after_doc jsonb := jsonb_build_object('db_user', current_user);
BEGIN
    IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD); END IF;
    IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW); END IF;
    keep := shown;
    IF TG_OP = 'UPDATE' THEN
        SELECT coalesce(array_agg(n.key ORDER BY n.key), '{}') INTO changed
        FROM jsonb_each(new_row) n WHERE n.value IS DISTINCT FROM old_row -> n.key;
        IF changed <@ quiet THEN
            RETURN NULL;
        END IF;
        keep := ARRAY(SELECT unnest(shown) INTERSECT SELECT unnest(changed));
        after_doc := after_doc || jsonb_build_object('changed', to_jsonb(changed));
    END IF;
    IF old_row IS NOT NULL THEN
        before_doc := jsonb_build_object('values', audit_trail_named(
            (SELECT coalesce(jsonb_object_agg(key, value), '{}') FROM jsonb_each(old_row)
             WHERE key = ANY(keep))));
    END IF;
    IF new_row IS NOT NULL THEN
        after_doc := after_doc || jsonb_build_object('values', audit_trail_named(
            (SELECT coalesce(jsonb_object_agg(key, value), '{}') FROM jsonb_each(new_row)
             WHERE key = ANY(keep))));
    END IF;
    INSERT INTO audit_auditevent
        (created_at, actor_label, action, object_type, object_id, object_repr, before, after)
    VALUES (
        now(),
        CASE WHEN actor IS NULL THEN 'db:' || current_user ELSE 'user:' || actor END,
        'trail.' || TG_TABLE_NAME || '.' || lower(TG_OP),
        TG_TABLE_NAME,
        coalesce(new_row, old_row) ->> 'id',
        '',
        before_doc,
        after_doc
    );
    RETURN NULL;
END;
$$;
"""

# table -> (columns whose values are recorded, bookkeeping columns whose change alone is not)
TABLES = {
    "accounts_user": ("is_staff,is_active,is_superuser", "last_login"),
    "accounts_user_groups": ("user_id,group_id", ""),
    "accounts_user_user_permissions": ("user_id,permission_id", ""),
    "auth_group": ("name", ""),
    "auth_group_permissions": ("group_id,permission_id", ""),
    "otp_totp_totpdevice": (
        "user_id,confirmed,step,t0,digits,tolerance",
        "drift,last_t,throttling_failure_count,throttling_failure_timestamp,last_used_at",
    ),
    "otp_static_staticdevice": (
        "user_id,confirmed",
        "throttling_failure_count,throttling_failure_timestamp,last_used_at",
    ),
    "otp_static_statictoken": ("device_id", ""),
}

TRIGGERS = "\n".join(
    f"CREATE TRIGGER {table}_audit_trail AFTER INSERT OR UPDATE OR DELETE ON {table} "
    f"FOR EACH ROW EXECUTE FUNCTION audit_staff_trail('{{{shown}}}', '{{{quiet}}}');"
    for table, (shown, quiet) in TABLES.items()
)

REVERSE = "\n".join(
    [f"DROP TRIGGER IF EXISTS {table}_audit_trail ON {table};" for table in TABLES]
    + [
        "DROP FUNCTION IF EXISTS audit_staff_trail();",
        "DROP FUNCTION IF EXISTS audit_trail_named(jsonb);",
    ]
)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_roles_proposals"),
        ("audit", "0004_proposal"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("otp_totp", "0003_add_timestamps"),
        ("otp_static", "0003_add_timestamps"),
    ]
    operations = [migrations.RunSQL(FUNCTIONS + TRIGGERS, REVERSE)]
