from django.db import migrations

# A published policy version's rules never change and it is never deleted: decisions point
# at it. Its status may only move forward to 'retired'.
SQL = """
CREATE FUNCTION policy_version_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'policy version % is % and cannot be deleted', OLD.id, OLD.status
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status <> 'draft' AND (
        NEW.rules IS DISTINCT FROM OLD.rules
        OR NEW.program_id IS DISTINCT FROM OLD.program_id
        OR NEW.number IS DISTINCT FROM OLD.number
        OR (OLD.status = 'retired' AND NEW.status <> 'retired')
        OR (OLD.status = 'published' AND NEW.status NOT IN ('published', 'retired'))
    ) THEN
        RAISE EXCEPTION 'policy version % is % and immutable; create a new version', OLD.id,
            OLD.status USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER policy_version_immutable
    BEFORE UPDATE OR DELETE ON compensation_policyversion
    FOR EACH ROW EXECUTE FUNCTION policy_version_immutable();
"""

REVERSE = """
DROP TRIGGER IF EXISTS policy_version_immutable ON compensation_policyversion;
DROP FUNCTION IF EXISTS policy_version_immutable();
"""


class Migration(migrations.Migration):
    dependencies = [("compensation", "0001_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
