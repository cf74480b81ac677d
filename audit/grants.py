"""The application's database role, as production runs it: it owns nothing, so the
append-only rule of the audit trail holds by privilege and not only by the triggers of
audit/migrations/0002_append_only.py (a session setting the application could set relaxes
those for TRUNCATE; the table's owner could disable them). Migrations run as the owner role;
web, workers and beat connect as this one."""

from __future__ import annotations

from psycopg import sql

AUDIT_TABLE = "audit_auditevent"


def app_role_statements(
    *, role: str, database: str, create: bool = False, password: str | None = None
) -> list[sql.Composed]:
    """What the owner runs (idempotent, apart from CREATE ROLE) to give `role` what the
    application needs: connect, temporary and staging tables (its own), SELECT, INSERT,
    UPDATE and DELETE on every table, now and as later migrations create them (default
    privileges of the role running this), and on the audit trail SELECT and INSERT only:
    no UPDATE, DELETE or TRUNCATE."""
    name = sql.Identifier(role)
    statements: list[sql.Composed] = []
    if create:
        statements.append(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(name, sql.Literal(password))
            if password
            else sql.SQL("CREATE ROLE {} LOGIN").format(name)
        )
    statements += [
        sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
            sql.Identifier(database), name
        ),
        sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(name),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(
            name
        ),
        sql.SQL("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {}").format(name),
        sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(
            sql.Identifier(AUDIT_TABLE), name
        ),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
            "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}"
        ).format(name),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
            "GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {}"
        ).format(name),
    ]
    return statements
