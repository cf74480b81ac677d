"""What the exports contain: cells a spreadsheet would run as formulas are neutralised, and a
program's audit trail holds that program's rows only."""

from __future__ import annotations

import csv
import importlib
import io
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from accounts.roles import AUDITOR
from audit.models import AuditEvent
from compensation.models import AffectedPerson
from tests.factories import ClaimFactory, ClaimTypeFactory
from tests.vouchers.conftest import (  # noqa: F401  (coupang and no_dispatch are fixtures)
    coupang,
    no_dispatch,
    people_make,
    run_issue,
    voucher_program_make,
)
from vouchers.models import VoucherBatch

pytestmark = pytest.mark.django_db

FORMULA_ID = "-A1:B2"  # a valid external id (letters, digits, _-.:) that a spreadsheet evaluates


def _export(client, program, name: str) -> list[dict[str, str]]:
    response = client.get(
        reverse("admin:oversight_programdashboard_export", args=[program.pk, name])
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.fixture
def other_program(no_dispatch):  # noqa: F811
    return voucher_program_make(name="Other 2025", account_statuses=["active"])


def test_claims_awards_and_vouchers_exports_neutralise_formula_cells(
    staff_client,
    coupang,  # noqa: F811
    no_dispatch,  # noqa: F811
):
    people_make(coupang, 2)
    AffectedPerson.objects.filter(program=coupang, external_id="P00000001").update(
        external_id=FORMULA_ID
    )
    run_issue(coupang)
    person = AffectedPerson.objects.get(program=coupang, external_id=FORMULA_ID)
    ClaimFactory.create(
        program=coupang, person=person, claim_type=ClaimTypeFactory.create(program=coupang)
    )
    client = staff_client(AUDITOR)
    for name, amount_column, rows_expected in [
        ("claims", "amount_claimed_minor", 1),
        ("awards", "amount_minor", 8),
        ("vouchers", "amount_minor", 8),
    ]:
        rows = _export(client, coupang, name)
        assert len(rows) == rows_expected, name
        ids = {row["person_external_id"] for row in rows}
        assert "'" + FORMULA_ID in ids, name
        assert FORMULA_ID not in ids, name
        # Amounts are numbers: written as they are, never quoted.
        assert all(row[amount_column].isdigit() for row in rows), name


def test_the_audit_export_of_a_program_holds_its_rows_and_none_of_another_programs(
    staff_client,
    coupang,  # noqa: F811
    other_program,
):
    people_make(coupang, 3)
    people_make(other_program, 3)
    mine, theirs = run_issue(coupang), run_issue(other_program)
    client = staff_client(AUDITOR)
    _export(client, other_program, "claims")  # an export is audited on its own program
    rows = _export(client, coupang, "audit")
    batches = {r["object_id"] for r in rows if r["object_type"] == "vouchers.voucherbatch"}
    assert batches == {str(mine.pk)}  # started and finished, found from the batch's id
    actions = {r["action"] for r in rows}
    assert {"voucher_batch.start", "voucher_batch.finish", "export.audit"} <= actions
    assert "export.claims" not in actions
    programs = {r["object_id"] for r in rows if r["object_type"].endswith("programdashboard")}
    assert programs == {str(coupang.pk)}
    assert AuditEvent.objects.filter(program_id=other_program.pk, object_id=str(theirs.pk))


def test_the_migration_names_the_program_of_rows_written_before_it_and_keeps_the_trail_append_only(
    coupang,  # noqa: F811
):
    batch = VoucherBatch.objects.create(
        program=coupang, policy=coupang.policies.get(), award_line_ids=[]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (created_at, actor_label, action, object_type, "
            "object_id, object_repr, ip_address) VALUES (now(), 'job:old', 'voucher_batch.start', "
            "'vouchers.voucherbatch', %s, '', NULL), (now(), 'job:old', 'program.change', "
            "'compensation.program', %s, '', NULL), (now(), 'job:old', 'notice.retry', "
            "'notifications.notice', '1,2,3', '', NULL) RETURNING id",
            [str(batch.pk), str(coupang.pk)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    migration = importlib.import_module("audit.migrations.0003_auditevent_program")
    migration.backfill(apps, SimpleNamespace(connection=connection))
    named = dict(AuditEvent.objects.filter(pk__in=ids).values_list("action", "program_id"))
    assert named == {
        "voucher_batch.start": coupang.pk,
        "program.change": coupang.pk,
        "notice.retry": None,
    }
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=ids[0]).update(action="tampered")
