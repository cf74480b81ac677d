import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from compensation.models import AffectedPerson, Award
from tests.vouchers.conftest import people_make, run_issue
from tests.vouchers.helpers import code_of
from vouchers.errors import FreezeRefused
from vouchers.models import Voucher, VoucherFreeze
from vouchers.services.freeze import (
    codes_parse,
    voucher_freeze_lift,
    voucher_void_and_reissue,
    vouchers_freeze,
)
from vouchers.services.redemption import voucher_redeem

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(coupang, no_dispatch):
    people_make(coupang, 10)
    batch = run_issue(coupang)
    coupang.batch = batch
    return coupang


def _freeze(program, method, **kwargs):
    return vouchers_freeze(
        program=program, method=method, reason="compromised", actor_label="t", **kwargs
    )


def test_freezing_a_run_freezes_all_its_usable_vouchers_and_a_frozen_one_cannot_be_redeemed(
    issued, eats_key
):
    freeze = _freeze(issued, "run", batch=issued.batch)
    assert freeze.vouchers_frozen == 40
    voucher = Voucher.objects.filter(service_scope="eats").first()
    assert voucher is not None
    answer = voucher_redeem(service_key=eats_key, code=code_of(voucher), order_reference="1")
    assert answer.status == 404
    event = AuditEvent.objects.get(action="voucher.freeze")
    assert event.after is not None
    assert event.after["frozen"] == 40 and event.after["reason"] == "compromised"


def test_freezing_by_people_touches_only_their_vouchers(issued):
    freeze = _freeze(issued, "people", external_ids=["P00000001", "P00000002", "NOBODY"])
    assert freeze.vouchers_frozen == 8
    frozen_people = set(
        Voucher.objects.filter(state="frozen").values_list("person__external_id", flat=True)
    )
    assert frozen_people == {"P00000001", "P00000002"}


def test_freezing_by_a_file_of_codes_keeps_no_code(issued):
    vouchers = list(Voucher.objects.order_by("id")[:3])
    lines = [code_of(v) for v in vouchers] + ["not a code", ""]
    hashes, rejected = codes_parse(lines)
    freeze = _freeze(issued, "codes", code_hashes=hashes, codes_rejected=rejected)
    assert freeze.vouchers_frozen == 3
    assert freeze.parameters["codes_rejected"] == 1
    assert not any(code_of(v).replace("-", "")[:16] in str(freeze.parameters) for v in vouchers)


def test_freezing_by_issuance_window(issued):
    now = timezone.now()
    assert (
        _freeze(issued, "window", window=(now - dt.timedelta(hours=1), now)).vouchers_frozen == 40
    )
    Voucher.objects.update(state="issued", freeze=None)
    later = _freeze(
        issued, "window", window=(now + dt.timedelta(hours=1), now + dt.timedelta(hours=2))
    )
    assert later.vouchers_frozen == 0


def test_unfreezing_makes_the_vouchers_usable_again_once(issued, eats_key):
    freeze = _freeze(issued, "run", batch=issued.batch)
    lifted = voucher_freeze_lift(freeze=freeze, actor_label="t")
    assert lifted.vouchers_unfrozen == 40 and lifted.lifted_at
    voucher_freeze_lift(freeze=freeze, actor_label="t")
    assert AuditEvent.objects.filter(action="voucher.unfreeze").count() == 1
    voucher = Voucher.objects.filter(service_scope="eats").first()
    assert voucher is not None
    assert (
        voucher_redeem(service_key=eats_key, code=code_of(voucher), order_reference="1").status
        == 201
    )


def test_a_freeze_needs_a_reason_and_writes_nothing_without_one(issued):
    with pytest.raises(FreezeRefused):
        vouchers_freeze(
            program=issued, method="run", batch=issued.batch, reason=" ", actor_label="t"
        )
    assert not VoucherFreeze.objects.exists()
    assert not Voucher.objects.filter(state="frozen").exists()


def test_a_refund_of_a_voucher_redeemed_before_a_freeze_leaves_it_frozen(issued, eats_key):
    from vouchers.services.redemption import redemption_reverse

    voucher = Voucher.objects.filter(service_scope="eats").first()
    assert voucher is not None
    answer = voucher_redeem(service_key=eats_key, code=code_of(voucher), order_reference="1")
    _freeze(issued, "run", batch=issued.batch)
    redemption_reverse(service_key=eats_key, redemption_id=answer.body["redemption_id"])
    voucher.refresh_from_db()
    assert voucher.state == "frozen"


def test_void_and_reissue_kills_the_old_code_issues_a_new_one_and_queues_a_notice(
    issued, eats_key, django_capture_on_commit_callbacks
):
    from notifications.models import Notice

    person = AffectedPerson.objects.get(external_id="P00000001")
    old = Voucher.objects.get(person=person, service_scope="eats")
    with django_capture_on_commit_callbacks(execute=False):
        new = voucher_void_and_reissue(voucher=old, reason="code leaked", actor_label="t")
    old.refresh_from_db()
    assert old.state == "void" and new.generation == 2 and new.award_id == old.award_id
    assert code_of(new) != code_of(old)
    assert (
        voucher_redeem(service_key=eats_key, code=code_of(old), order_reference="1").status == 404
    )
    assert (
        voucher_redeem(service_key=eats_key, code=code_of(new), order_reference="2").status == 201
    )
    notice = Notice.objects.get(person=person)
    assert notice.kind == "voucher_issued" and code_of(new) not in str(notice.context)
    assert Award.objects.filter(person=person).count() == 4  # the money did not change
    with pytest.raises(FreezeRefused):
        voucher_void_and_reissue(voucher=old, reason="again", actor_label="t")


def test_a_voucher_cannot_name_a_missing_award_run_or_freeze_and_those_cannot_go(issued):
    """The award, run and freeze references are checked by the database once per statement
    (compensation/references.py), not by per-row foreign keys."""
    from django.db import IntegrityError, connection, transaction

    voucher = Voucher.objects.filter(batch=issued.batch).first()
    assert voucher is not None
    for column in ("award_id", "batch_id", "freeze_id"):
        with (
            pytest.raises(IntegrityError, match="names no row"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                f"UPDATE vouchers_voucher SET {column} = 999999 WHERE id = %s", [voucher.pk]
            )
    with (
        pytest.raises(IntegrityError, match="cannot be deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM vouchers_voucherbatch WHERE id = %s", [issued.batch.pk])
    with (
        pytest.raises(IntegrityError, match="cannot be deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM compensation_award WHERE id = %s", [voucher.award_id])
