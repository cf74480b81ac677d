import pytest
from django.db import connection

from audit.models import AuditEvent
from compensation.models import Award
from tests.vouchers.conftest import people_make, run_issue
from vouchers.errors import IssuanceRefused
from vouchers.models import IssuanceChunk, Voucher, VoucherBatch
from vouchers.services.issuance import voucher_batch_execute
from vouchers.services.planning import batch_plan
from vouchers.services.runs import voucher_batch_start

pytestmark = pytest.mark.django_db


def test_a_run_issues_four_vouchers_per_person_each_an_award_within_budget(coupang, no_dispatch):
    people_make(coupang, 250)
    batch = run_issue(coupang, chunk_size=40)
    assert batch.status == VoucherBatch.Status.DONE
    assert batch.chunks_total == 7
    assert Voucher.objects.filter(program=coupang).count() == 1000
    assert Award.objects.filter(program=coupang, source="proactive").count() == 1000
    coupang.refresh_from_db()
    assert coupang.committed_minor == 250 * 50_000
    assert set(Voucher.objects.values_list("service_scope", flat=True)) == {
        "store",
        "eats",
        "travel",
        "rlux",
    }
    with connection.cursor() as cursor:  # every voucher is the instrument of its own award
        cursor.execute(
            "SELECT count(*) FROM vouchers_voucher v JOIN compensation_award a ON a.id = "
            "v.award_id WHERE a.person_id = v.person_id AND a.amount_minor = v.amount_minor"
        )
        assert cursor.fetchone()[0] == 1000
    assert AuditEvent.objects.filter(action="voucher_batch.finish").count() == 1


def test_rerunning_a_finished_run_and_a_second_run_add_nothing(coupang, no_dispatch):
    people_make(coupang, 60)
    batch = run_issue(coupang, chunk_size=25)
    IssuanceChunk.objects.filter(batch=batch).update(status="pending")
    VoucherBatch.objects.filter(pk=batch.pk).update(status="running")
    voucher_batch_execute(batch_id=batch.pk)
    second = run_issue(coupang, chunk_size=7)
    assert second.status == VoucherBatch.Status.DONE
    assert Voucher.objects.count() == 240
    assert Award.objects.count() == 240
    coupang.refresh_from_db()
    assert coupang.committed_minor == 60 * 50_000


def test_the_dry_run_counts_only_eligible_profiles_and_the_chosen_segment(coupang):
    people_make(coupang, 30, segment="member")
    people_make(coupang, 20, start=1000, segment="vip")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE compensation_affectedperson SET account_status = 'closed' "
            "WHERE external_id IN ('P00000001', 'P00000002')"
        )
    plan = batch_plan(program=coupang, award_lines=list(coupang.award_lines.all()))
    assert (plan.people, plan.vouchers, plan.cost_minor) == (48, 192, 48 * 50_000)
    only_vip = batch_plan(
        program=coupang, award_lines=list(coupang.award_lines.all()), segments=["vip"]
    )
    assert (only_vip.people, only_vip.vouchers) == (20, 80)


def test_a_segment_run_issues_only_to_that_segment(coupang, no_dispatch):
    people_make(coupang, 30, segment="member")
    people_make(coupang, 20, start=1000, segment="vip")
    run_issue(coupang, segments=["vip"], lines=coupang.award_lines.filter(code="eats"))
    assert Voucher.objects.count() == 20
    assert set(Voucher.objects.values_list("service_scope", flat=True)) == {"eats"}


def test_the_wrong_confirmation_starts_nothing(coupang, no_dispatch):
    people_make(coupang, 5)
    with pytest.raises(IssuanceRefused):
        voucher_batch_start(
            program=coupang,
            award_lines=list(coupang.award_lines.all()),
            confirm_name="coupang",
            actor_label="test",
        )
    assert not VoucherBatch.objects.exists()
    assert no_dispatch == []


def test_a_run_the_budget_cannot_cover_stops_with_a_clear_message_and_rolls_back_the_chunk(
    coupang, no_dispatch
):
    people_make(coupang, 100)
    batch = voucher_batch_start(
        program=coupang,
        award_lines=list(coupang.award_lines.all()),
        confirm_name=coupang.name,
        chunk_size=30,
        actor_label="test",
    )
    # The budget shrinks after the run was confirmed: room for two chunks of 30 people.
    type(coupang).objects.filter(pk=coupang.pk).update(budget_minor=60 * 50_000 + 10)
    voucher_batch_execute(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == VoucherBatch.Status.FAILED
    assert "budget cannot cover" in batch.error
    assert Voucher.objects.count() == Award.objects.count() == 240
    coupang.refresh_from_db()
    assert coupang.committed_minor == 60 * 50_000
    assert batch.chunks.filter(status="done").count() == 2


def test_a_chunk_that_keeps_failing_is_recorded_and_fails_the_run_after_three_attempts(
    coupang, no_dispatch, monkeypatch
):
    from vouchers.services import issuance

    people_make(coupang, 10)
    batch = voucher_batch_start(
        program=coupang,
        award_lines=list(coupang.award_lines.all()),
        confirm_name=coupang.name,
        chunk_size=5,
        actor_label="test",
    )

    def broken(*args, **kwargs):
        raise ValueError("disk on fire")

    monkeypatch.setattr(issuance, "_vouchers_copy", broken)
    for _ in range(3):
        with pytest.raises(ValueError, match="disk on fire"):
            voucher_batch_execute(batch_id=batch.pk)
    batch.refresh_from_db()
    chunk = batch.chunks.get(number=1)
    assert chunk.status == "pending"
    assert chunk.attempts == 3
    assert "disk on fire" in chunk.last_error
    assert batch.status == VoucherBatch.Status.FAILED
    assert "Chunk 1 failed 3 times" in batch.error
    assert not Voucher.objects.exists()
    assert not Award.objects.exists()


def _person_reads(node: dict) -> list[dict]:
    """The plan nodes that read the person table or one of its indexes."""
    index = node.get("Index Name") or ""
    reads = (
        [node]
        if (
            node.get("Relation Name") == "compensation_affectedperson"
            or index.startswith(("compensation_affectedperson", "affected_"))
        )
        else []
    )
    for child in node.get("Plans", []):
        reads += _person_reads(child)
    return reads


@pytest.mark.parametrize("statistics", ["none", "stale"])
def test_a_chunk_reads_its_people_by_a_primary_key_range_whatever_the_statistics(
    coupang, no_dispatch, statistics
):
    """Issuance right after an import: the person table was never analysed, or was analysed
    when the program had nobody. The chunk's award insert must still read its people by a
    range of the primary key, not scan the program's whole (program, external_id) index."""
    from django.test.utils import CaptureQueriesContext

    from tests.factories import ProgramFactory

    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE compensation_affectedperson SET (autovacuum_enabled = false)")
        if statistics == "stale":
            people_make(ProgramFactory.create(), 50)
            cursor.execute("ANALYZE compensation_affectedperson")
    people_make(coupang, 4_000)
    with CaptureQueriesContext(connection) as queries:
        run_issue(coupang, chunk_size=1_000)
    chunk_insert = next(
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].lstrip().startswith("INSERT INTO compensation_award")
    )
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + chunk_insert)
        plan = cursor.fetchone()[0][0]["Plan"]
    reads = _person_reads(plan)
    assert reads
    assert {node["Node Type"] for node in reads} <= {
        "Index Scan",
        "Index Only Scan",
        "Bitmap Index Scan",
        "Bitmap Heap Scan",
    }
    assert {node["Index Name"] for node in reads if "Index Name" in node} == {
        "compensation_affectedperson_pkey"
    }
    assert not any(node["Node Type"] == "BitmapAnd" for node in _all_nodes(plan))


def _all_nodes(node: dict) -> list[dict]:
    return [node] + [n for child in node.get("Plans", []) for n in _all_nodes(child)]
