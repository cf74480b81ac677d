import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import audit_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return audit_record(
        action="test.thing", object_type="x", object_id="1", actor_label="job:test", after={"a": 1}
    )


def test_update_of_an_audit_row_is_refused_by_the_database(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    assert AuditEvent.objects.get(pk=event.pk).action == "test.thing"


def test_delete_and_truncate_are_refused_even_in_raw_sql(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
    with transaction.atomic(), connection.cursor() as cursor:
        # The suite's connections allow TRUNCATE for flushing; an application's do not.
        cursor.execute("SET LOCAL audit.allow_truncate = off")
        with pytest.raises(DatabaseError), transaction.atomic():
            cursor.execute("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_not_even_a_superuser_can_change_or_delete_in_the_admin(staff_client, event):
    client = staff_client(is_superuser=True)
    change_url = reverse("admin:audit_auditevent_change", args=[event.pk])
    assert client.get(change_url).status_code == 200  # read-only view
    assert client.post(change_url, {"action": "tampered"}).status_code == 403
    delete_url = reverse("admin:audit_auditevent_delete", args=[event.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "test.thing"


def test_personal_data_is_redacted_from_snapshots():
    from audit.services import audit_snapshot
    from tests.factories import AffectedPersonFactory

    person = AffectedPersonFactory.create(email="someone@example.com")
    snapshot = audit_snapshot(person)
    assert snapshot["email"] == "[redacted]"
    assert snapshot["external_id"] == person.external_id
