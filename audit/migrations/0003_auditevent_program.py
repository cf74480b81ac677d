from django.db import migrations, models

# Rows written before this migration name their program from the object they are about, found
# the way audit.services.audit_program_id finds it for new rows: the object's own program, or
# its program through one foreign key. That fills a derived column and changes no recorded
# fact; the append-only trigger is set aside for this one statement per type and is back on
# before the migration's transaction commits.
PROGRAM = "compensation.program"


def _path(model):
    if model._meta.concrete_model._meta.label_lower == PROGRAM:
        return "pk"
    fks = [f for f in model._meta.concrete_fields if f.many_to_one]
    for field in fks:
        if field.name == "program" and (
            field.related_model._meta.concrete_model._meta.label_lower == PROGRAM
        ):
            return "program"
    for field in fks:
        if _path(field.related_model) == "program":
            return field
    return None


def backfill(apps, schema_editor):
    statements = []
    for model in apps.get_models():
        path = _path(model)
        if path is None:
            continue
        label = model._meta.label_lower
        table = model._meta.db_table
        pk = model._meta.pk.column
        if path == "pk":
            statements.append(
                (
                    "UPDATE audit_auditevent SET program_id = object_id::bigint "
                    "WHERE program_id IS NULL AND object_type = %s AND object_id ~ '^[0-9]{1,18}$'",
                    [label],
                )
            )
        elif path == "program":
            statements.append(
                (
                    # Table and column names from the models, never from input.
                    f"UPDATE audit_auditevent a SET program_id = t.program_id FROM {table} t "  # noqa: S608
                    f"WHERE a.program_id IS NULL AND a.object_type = %s "
                    f"AND a.object_id = t.{pk}::text",
                    [label],
                )
            )
        else:
            parent = path.related_model._meta
            statements.append(
                (
                    f"UPDATE audit_auditevent a SET program_id = p.program_id FROM {table} t "  # noqa: S608
                    f"JOIN {parent.db_table} p ON p.{parent.pk.column} = t.{path.column} "
                    f"WHERE a.program_id IS NULL AND a.object_type = %s "
                    f"AND a.object_id = t.{pk}::text",
                    [label],
                )
            )
    with schema_editor.connection.cursor() as cursor:
        # ALTER TABLE refuses while deferred checks of rows inserted in this transaction wait.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update_delete")
        for sql, params in statements:
            cursor.execute(sql, params)
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_no_update_delete")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only"),
        ("claims", "0004_queue_indexes"),
        ("compensation", "0008_award_statement_references"),
        ("notifications", "0006_info_request_link"),
        ("oversight", "0001_initial"),
        ("vouchers", "0004_voucher_award_statement_reference"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="program_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["program_id", "id"], name="audit_event_program_idx"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
