"""Rejoining: a person excluded only because their account was closed gets their vouchers when a
later population import shows the account active again, through the same issuance path: an
operator's run of the award lines issued before gives them (and only them) the vouchers, and
running it again issues nothing."""

import pytest

from compensation.models import AffectedPerson, Award
from compensation.services import population_import as importer
from notifications.models import Campaign
from tests.vouchers.conftest import run_issue
from vouchers.models import Voucher

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "external_id,name,email,phone,language,region,segment,data_categories,account_status\n"


def _import(program, tmp_path, rows: list[tuple[str, str]], name: str) -> None:
    lines = "".join(
        f"{external_id},Person {external_id},{external_id.lower()}@example.com,,ko,seoul,member,"
        f"email,{status}\n"
        for external_id, status in rows
    )
    path = tmp_path / name
    path.write_text(HEADER + lines)
    created = importer.population_import_create(
        program=program, source=path, original_name=name, copy_to_store=False, actor_label="test"
    )
    done = importer.population_import_run(import_id=created.pk)
    assert done.rows_rejected == 0


def _vouchers_of(external_id: str) -> int:
    return Voucher.objects.filter(person__external_id=external_id).count()


def test_a_closed_account_active_again_gets_its_vouchers_once_from_a_rejoin_run(
    coupang, no_dispatch, tmp_path
):
    people = [("A1", "active"), ("A2", "active"), ("A3", "dormant"), ("A4", "closed")]
    _import(coupang, tmp_path, [*people, ("A5", "closed")], "first.csv")
    first = run_issue(coupang, chunk_size=2)
    assert Voucher.objects.count() == 3 * 4
    assert _vouchers_of("A4") == _vouchers_of("A5") == 0

    # A4 re-registered: the next import shows the account active. A5 stays closed.
    _import(coupang, tmp_path, [*people[:3], ("A4", "active"), ("A5", "closed")], "second.csv")
    assert AffectedPerson.objects.get(external_id="A4").account_status == "active"
    committed_before = type(coupang).objects.get(pk=coupang.pk).committed_minor

    rejoin = run_issue(coupang, chunk_size=2)  # the same award lines as the first run
    assert Voucher.objects.count() == 4 * 4
    assert _vouchers_of("A4") == 4
    assert set(
        Voucher.objects.filter(batch=rejoin).values_list("person__external_id", flat=True)
    ) == {"A4"}
    assert _vouchers_of("A5") == 0
    assert type(coupang).objects.get(pk=coupang.pk).committed_minor == committed_before + 50_000
    # Nobody who had their vouchers got a second set, and only A4 is told theirs are ready.
    assert Award.objects.filter(person__external_id="A1").count() == 4
    assert Campaign.objects.filter(dedupe_key__startswith=f"vouchers:run:{rejoin.pk}:").count() == 2
    assert first.pk != rejoin.pk

    # Running it again issues nothing: same count.
    again = run_issue(coupang, chunk_size=2)
    assert Voucher.objects.count() == 4 * 4
    assert not Voucher.objects.filter(batch=again).exists()
    assert type(coupang).objects.get(pk=coupang.pk).committed_minor == committed_before + 50_000
