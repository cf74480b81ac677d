"""The append-only trail does not rest on a session setting: connected as a role made like
production's (audit/grants.py), UPDATE, DELETE and TRUNCATE of the audit table are refused by
privilege, even with the setting the test suite's flush uses, while the application's own
work (inserting audit rows, changing other tables, the staff-table triggers) goes on."""

import uuid

import psycopg
import pytest
from django.db import connection
from psycopg import errors, sql

from audit.grants import app_role_statements
from audit.services import audit_record
from tests.factories import ProgramFactory, UserFactory


@pytest.fixture
def app_role():
    """A login role granted what audit_app_role grants, in the test database."""
    role = f"app_{uuid.uuid4().hex[:12]}"
    settings = connection.settings_dict
    owner = psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"],
        dbname=settings["NAME"],
        autocommit=True,
    )
    try:
        for statement in app_role_statements(role=role, database=settings["NAME"], create=True):
            owner.execute(statement)
        yield role, settings
    finally:
        owner.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        owner.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
        owner.close()


def _connect(role, settings):
    conn = psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=role,
        dbname=settings["NAME"],
        autocommit=True,
    )
    conn.execute("SET audit.allow_truncate = on")  # what the suite's flush sets
    return conn


@pytest.mark.django_db(transaction=True)
def test_the_app_role_cannot_update_delete_or_truncate_the_trail(app_role):
    event = audit_record(action="test.thing", object_type="x", object_id="1", actor_label="test")
    role, settings = app_role
    with _connect(role, settings) as conn:
        refused = [
            "UPDATE audit_auditevent SET action = 'tampered'",
            "DELETE FROM audit_auditevent",
            "TRUNCATE audit_auditevent",
            "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update_delete",
            "ALTER TABLE audit_auditevent OWNER TO CURRENT_USER",
        ]
        for statement in refused:
            with pytest.raises(errors.InsufficientPrivilege) as caught:
                conn.execute(statement)
            # Refused by privilege, not by the trail's triggers ("append-only").
            assert "append-only" not in str(caught.value), statement
        # Granting itself more grants nothing (only the owner may).
        conn.execute("GRANT UPDATE, DELETE, TRUNCATE ON audit_auditevent TO CURRENT_USER")
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("DELETE FROM audit_auditevent")
    event.refresh_from_db()
    assert event.action == "test.thing"


@pytest.mark.django_db(transaction=True)
def test_the_app_role_still_does_the_applications_work(app_role):
    program = ProgramFactory.create(budget_minor=1_000)
    user = UserFactory.create()
    role, settings = app_role
    with _connect(role, settings) as conn:
        conn.execute(
            "INSERT INTO audit_auditevent (created_at, actor_label, action, object_type, "
            "object_id, object_repr) VALUES (now(), 'test', 'test.insert', 'x', '1', '')"
        )
        conn.execute(
            "UPDATE compensation_program SET budget_minor = 2000 WHERE id = %s", [program.pk]
        )
        conn.execute("UPDATE accounts_user SET is_active = false WHERE id = %s", [user.pk])
        conn.execute("CREATE TEMPORARY TABLE scratch (id int)")
        conn.execute("CREATE UNLOGGED TABLE staging_x (id int)")
        conn.execute("DROP TABLE staging_x")
        (label,) = conn.execute(
            "SELECT actor_label FROM audit_auditevent WHERE action = 'trail.accounts_user.update' "
            "AND object_id = %s AND after -> 'changed' = '[\"is_active\"]'",
            [str(user.pk)],
        ).fetchone()
    assert label == f"db:{role}"
    program.refresh_from_db()
    assert program.budget_minor == 2000
