"""Every change to staff accounts, groups, permissions and second-factor devices reaches the
audit trail, made in the admin or in a shell, and never with a password hash, a TOTP key or
a backup code in it."""

import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.trail import TRAILED_TABLES, staff_actor
from audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _trail(table: str, op: str):
    return AuditEvent.objects.filter(action=f"trail.{table}.{op}").order_by("id")


def _db_user() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        return cursor.fetchone()[0]


def _text(event: AuditEvent) -> str:
    return json.dumps([event.before, event.after])


def test_a_shell_change_to_a_groups_permissions_shows_up_in_the_trail():
    group = Group.objects.create(name="Pool settlers")
    permission = Permission.objects.get(codename="settle_program")
    group.permissions.add(permission)  # the ORM, no request: as in `manage.py shell`

    [added] = _trail("auth_group_permissions", "insert").filter(
        after__values__permission_id=permission.pk
    )
    assert added.object_type == "auth_group_permissions"
    assert added.after["values"] == {
        "group_id": group.pk,
        "permission_id": permission.pk,
        "group": "Pool settlers",
        "permission": "compensation.settle_program",
    }
    assert added.actor_label == f"db:{_db_user()}"
    assert added.actor is None

    group.permissions.remove(permission)
    [removed] = _trail("auth_group_permissions", "delete").filter(
        before__values__permission_id=permission.pk
    )
    assert removed.before["values"]["permission"] == "compensation.settle_program"


def test_raw_sql_is_caught_too():
    user = UserFactory.create()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_user SET is_superuser = true WHERE id = %s", [user.pk])
    event = _trail("accounts_user", "update").filter(object_id=str(user.pk)).last()
    assert event.after["changed"] == ["is_superuser"]
    assert event.before["values"] == {"is_superuser": False}
    assert event.after["values"] == {"is_superuser": True}


def test_a_totp_device_creation_shows_up_without_its_key():
    user = UserFactory.create()
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    [created] = _trail("otp_totp_totpdevice", "insert").filter(object_id=str(device.pk))
    assert created.after["values"]["user_id"] == user.pk
    assert created.after["values"]["confirmed"] is True
    assert "key" not in created.after["values"]
    assert device.key not in _text(created)

    device.key = "3132333435363738393031323334353637383930"
    device.save()
    [rekeyed] = _trail("otp_totp_totpdevice", "update").filter(object_id=str(device.pk))
    assert rekeyed.after["changed"] == ["key"]
    assert rekeyed.after["values"] == {}
    assert rekeyed.before["values"] == {}
    assert device.key not in _text(rekeyed)


def test_backup_codes_and_password_hashes_never_reach_the_trail():
    user = UserFactory.create()
    device = StaticDevice.objects.create(user=user, name="backup")
    token = StaticToken.objects.create(device=device, token="abcd1234")
    [created] = _trail("otp_static_statictoken", "insert").filter(object_id=str(token.pk))
    assert created.after["values"] == {"device_id": device.pk}
    token_id = token.pk
    token.delete()  # a backup code used up
    assert _trail("otp_static_statictoken", "delete").filter(object_id=str(token_id)).exists()

    user.set_password("another horse battery")
    user.save()
    changed = _trail("accounts_user", "update").filter(object_id=str(user.pk)).last()
    assert changed.after["changed"] == ["password"]
    everything = "".join(_text(e) for e in AuditEvent.objects.all())
    assert "abcd1234" not in everything
    assert user.password not in everything
    assert user.email not in everything


def test_a_sign_in_alone_writes_no_row():
    user = UserFactory.create()
    before = AuditEvent.objects.count()
    from django.contrib.auth.models import update_last_login

    update_last_login(User, user)
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db(transaction=True)  # real commits: autocommit and SET LOCAL's end
def test_a_named_staff_member_is_the_actor_inside_and_outside_a_transaction():
    me, other = UserFactory.create(), UserFactory.create()
    group = Group.objects.create(name="Night shift")  # a flush before this took the roles
    with staff_actor(me.pk):
        other.groups.add(group)
        with transaction.atomic():
            other.is_active = False
            other.save(update_fields=["is_active"])
        # Autocommit: the write is wrapped in a transaction with the setting.
        User.objects.filter(pk=other.pk).update(is_staff=False)
    [joined] = _trail("accounts_user_groups", "insert").filter(after__values__user_id=other.pk)
    assert joined.actor_label == f"user:{me.pk}"
    [deactivated] = _trail("accounts_user", "update").filter(after__changed=["is_active"])
    assert deactivated.actor_label == f"user:{me.pk}"
    [unstaffed] = _trail("accounts_user", "update").filter(after__changed=["is_staff"])
    assert unstaffed.actor_label == f"user:{me.pk}"
    # SET LOCAL: nothing is left on the connection for the next transaction (PgBouncer-safe).
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('audit.actor_id', true)")
        assert cursor.fetchone()[0] in (None, "")
    other.groups.remove(group)
    [left] = _trail("accounts_user_groups", "delete").filter(before__values__user_id=other.pk)
    assert left.actor_label.startswith("db:")


def test_a_change_made_in_the_admin_names_the_staff_member(staff_client):
    client = staff_client(is_superuser=True)
    group = Group.objects.create(name="Night shift")
    permission = Permission.objects.get(codename="view_claim")
    response = client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": "Night shift", "permissions": [permission.pk]},
    )
    assert response.status_code == 302
    [event] = _trail("auth_group_permissions", "insert").filter(after__values__group_id=group.pk)
    assert event.actor_label == f"user:{client.user.pk}"
    assert event.after["values"]["permission"] == "claims.view_claim"


def test_every_trailed_table_has_its_trigger():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT event_object_table FROM information_schema.triggers "
            "WHERE trigger_name LIKE '%%_audit_trail' GROUP BY event_object_table"
        )
        tables = {row[0] for row in cursor.fetchall()}
    assert tables == set(TRAILED_TABLES)


def test_a_composed_statement_passes_the_trail_untouched():
    """psycopg's sql.SQL(...).format(...) statements (the ledger's, payouts') go through the
    staff trail's execute wrapper like plain strings."""
    from psycopg import sql

    with staff_actor(1), connection.cursor() as cursor:
        cursor.execute(sql.SQL("SELECT {}").format(sql.Literal(7)))
        assert cursor.fetchone() == (7,)
