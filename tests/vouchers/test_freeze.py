import contextlib
import datetime as dt
import threading
import time

import pytest
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from compensation.models import AffectedPerson, Award
from tests.vouchers.conftest import people_make, run_issue
from tests.vouchers.helpers import code_of
from vouchers.errors import FreezeRefused
from vouchers.models import Redemption, Voucher, VoucherFreeze
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
    assert event.after["frozen"] == 40
    assert event.after["reason"] == "compromised"


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
    assert lifted.vouchers_unfrozen == 40
    assert lifted.lifted_at
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
    assert old.state == "void"
    assert new.generation == 2
    assert new.award_id == old.award_id
    assert code_of(new) != code_of(old)
    assert (
        voucher_redeem(service_key=eats_key, code=code_of(old), order_reference="1").status == 404
    )
    assert (
        voucher_redeem(service_key=eats_key, code=code_of(new), order_reference="2").status == 201
    )
    notice = Notice.objects.get(person=person)
    assert notice.kind == "voucher_issued"
    assert code_of(new) not in str(notice.context)
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


# A run freeze bigger than one chunk of marks: in effect at its commit, marks written behind.


@pytest.fixture
def big_run(coupang, no_dispatch):
    """A run of 20,000 vouchers (more than one chunk of marks), and a small second run."""
    people_make(coupang, 5_000)
    frozen_run = run_issue(coupang, chunk_size=2_500)
    people_make(coupang, 10, start=5_000)
    other_run = run_issue(coupang)
    return frozen_run, other_run


@pytest.fixture
def marks_queued(monkeypatch):
    """The marks' task as the freeze queues it (the test does its work in-process)."""
    queued: list = []
    monkeypatch.setattr(
        "vouchers.services.freeze.task_send_on_commit",
        lambda name, kwargs, **options: queued.append((name, kwargs)),
        raising=False,  # before the marks existed there was nothing to queue
    )
    return queued


def _row_lock_held(voucher_id: int, locked: threading.Event, release: threading.Event) -> None:
    """Another session holds one voucher's row, so whatever writes it next waits there."""
    from django.db import connection

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM vouchers_voucher WHERE id = %s FOR UPDATE", [voucher_id])
            locked.set()
            release.wait(60)
    finally:
        connection.close()


def _wait_for_lock_wait(statement_like: str, done: threading.Thread | None = None) -> bool:
    """True once a session runs a statement like `statement_like` and waits on a lock (or
    `done` has finished)."""
    from django.db import connection

    for _ in range(400):
        if done is not None and not done.is_alive():
            return True
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query LIKE %s",
                [statement_like],
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.05)
    return False


def _row_is_locked(voucher_id: int) -> bool:
    from django.db import OperationalError, connection

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM vouchers_voucher WHERE id = %s FOR UPDATE NOWAIT", [voucher_id]
            )
    except OperationalError:
        return True
    return False


@contextlib.contextmanager
def _lock_timeout(value: str):
    """Redemption in this session gives up on a row lock after `value` (an error, not a
    wait): an answer proves it did not wait, without measuring time."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = '{value}'")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")


@pytest.mark.django_db(transaction=True)
def test_a_run_freeze_refuses_its_vouchers_at_once_while_its_marks_are_being_written(
    big_run, coupang, eats_key, marks_queued, caplog
):
    """The freeze's chunk of marks is held open (it waits on a row another session holds):
    a redeem of a voucher that chunk holds, and of one it has not reached, is refused as
    frozen without waiting for any lock; a voucher of another run redeems; validate refuses
    at once too. Then the marks finish: every voucher of the run is frozen."""
    import logging

    from vouchers.errors import VoucherUnusable
    from vouchers.services.redemption import voucher_validate

    frozen_run, other_run = big_run
    run_vouchers = Voucher.objects.filter(batch=frozen_run).order_by("id")
    eats = list(run_vouchers.filter(service_scope="eats").values_list("pk", flat=True))
    held_by_chunk, not_reached, blocker = eats[0], eats[-1], run_vouchers[100].pk
    other = Voucher.objects.get(
        batch=other_run, service_scope="eats", person__external_id="P00005001"
    )
    locked, release = threading.Event(), threading.Event()
    locker = threading.Thread(target=_row_lock_held, args=(blocker, locked, release))
    locker.start()
    assert locked.wait(10)
    outcome: dict = {}

    def freeze_and_mark() -> None:
        from django.db import connection

        try:
            outcome["freeze"] = _freeze(coupang, "run", batch=frozen_run)
            from vouchers.services.freeze_marks import voucher_freeze_marks_write

            voucher_freeze_marks_write(freeze_id=outcome["freeze"].pk)  # the task's work
        except BaseException as exc:
            outcome["error"] = exc
        finally:
            connection.close()

    freezer = threading.Thread(target=freeze_and_mark)
    freezer.start()
    try:
        # The marks' chunk (before: the freeze's one statement) waits on the blocker's row,
        # holding the rows it has marked, the first of them `held_by_chunk`.
        assert _wait_for_lock_wait("%WITH hit AS (%UPDATE vouchers_voucher v%")
        assert _row_is_locked(held_by_chunk)
        caplog.set_level(logging.INFO, logger="vouchers.redemption")
        with _lock_timeout("2s"):
            for voucher_id in (held_by_chunk, not_reached):
                code = code_of(Voucher.objects.get(pk=voucher_id))
                answer = voucher_redeem(service_key=eats_key, code=code, order_reference="E-1")
                assert answer.status == 404
                with pytest.raises(VoucherUnusable) as refused:
                    voucher_validate(service_key=eats_key, code=code)
                assert refused.value.reason == "frozen"  # not a guess: the throttle lets it be
            answer = voucher_redeem(
                service_key=eats_key, code=code_of(other), order_reference="E-2"
            )
            assert answer.status == 201
        assert caplog.text.count("reason=frozen") == 4
        assert not Redemption.objects.filter(voucher__batch=frozen_run).exists()
    finally:
        release.set()
        locker.join()
        freezer.join()
    assert "error" not in outcome, outcome.get("error")
    freeze = VoucherFreeze.objects.get(pk=outcome["freeze"].pk)
    assert marks_queued == [("vouchers.freeze_marks", {"freeze_id": freeze.pk})]
    assert freeze.marks_done_at is not None
    assert freeze.vouchers_frozen == 20_000
    assert set(run_vouchers.values_list("state", flat=True)) == {"frozen"}
    assert not run_vouchers.exclude(freeze=freeze).exists()
    event = AuditEvent.objects.get(action="voucher.freeze")
    assert event.after is not None
    assert event.after["frozen"] == 20_000
    other.refresh_from_db()
    assert other.state == "redeemed"
    assert other.freeze_id is None


@pytest.mark.django_db(transaction=True)
def test_lifting_a_run_freeze_makes_its_vouchers_usable_at_once_before_its_marks_are_cleared(
    big_run, coupang, eats_key, marks_queued
):
    """A lift clears the marks of 20,000 vouchers, and one of them is held by another
    session: a redeem of a voucher still marked frozen succeeds without waiting."""
    from vouchers.services.redemption import voucher_validate

    frozen_run, _ = big_run
    freeze = _freeze(coupang, "run", batch=frozen_run)
    from vouchers.services.freeze_marks import voucher_freeze_marks_write

    voucher_freeze_marks_write(freeze_id=freeze.pk)
    run_vouchers = Voucher.objects.filter(batch=frozen_run).order_by("id")
    assert set(run_vouchers.values_list("state", flat=True)) == {"frozen"}
    eats = list(run_vouchers.filter(service_scope="eats"))
    target, other_frozen, blocker = eats[0], eats[1], run_vouchers[100].pk
    locked, release = threading.Event(), threading.Event()
    locker = threading.Thread(target=_row_lock_held, args=(blocker, locked, release))
    locker.start()
    assert locked.wait(10)
    outcome: dict = {}

    def lift() -> None:
        from django.db import connection

        try:
            outcome["lifted"] = voucher_freeze_lift(freeze=freeze, actor_label="t")
        except BaseException as exc:
            outcome["error"] = exc
        finally:
            connection.close()

    lifter = threading.Thread(target=lift)
    lifter.start()
    try:
        assert _wait_for_lock_wait("%UPDATE vouchers_voucher SET freeze_id = NULL%", lifter)
        with _lock_timeout("2s"):
            answer = voucher_redeem(
                service_key=eats_key, code=code_of(target), order_reference="E-1"
            )
            assert answer.status == 201
            assert voucher_validate(service_key=eats_key, code=code_of(other_frozen))["valid"]
    finally:
        release.set()
        locker.join()
        lifter.join()
    assert "error" not in outcome, outcome.get("error")
    assert marks_queued[-1] == ("vouchers.freeze_marks", {"freeze_id": freeze.pk})
    voucher_freeze_marks_write(freeze_id=freeze.pk)  # the queued task's work
    freeze.refresh_from_db()
    assert freeze.marks_done_at is not None
    assert freeze.vouchers_unfrozen == 20_000
    assert not Voucher.objects.filter(freeze=freeze).exists()
    target.refresh_from_db()
    assert target.state == "redeemed"
    assert set(run_vouchers.exclude(pk=target.pk).values_list("state", flat=True)) == {"issued"}


def test_marks_left_by_a_killed_worker_are_queued_again_by_the_sweep_and_finish_exactly(
    issued, eats_key, marks_queued, monkeypatch
):
    from celery import current_app

    from vouchers.services import freeze_marks

    monkeypatch.setattr("vouchers.services.freeze.FREEZE_MARK_CHUNK", 10)
    monkeypatch.setattr(freeze_marks, "FREEZE_MARK_CHUNK", 10)
    freeze = _freeze(issued, "run", batch=issued.batch)
    assert freeze.marks_done_at is None
    assert freeze.vouchers_frozen == 0
    assert marks_queued == [("vouchers.freeze_marks", {"freeze_id": freeze.pk})]
    with transaction.atomic():  # a worker writes one chunk of marks, then is killed
        freeze_marks._marks_chunk(freeze.pk)
    assert Voucher.objects.filter(state="frozen").count() == 10
    sent: list = []
    monkeypatch.setattr(
        freeze_marks, "task_send", lambda name, kwargs, **options: sent.append((name, kwargs))
    )
    assert freeze_marks.voucher_freezes_marks_resume() == []  # its worker was seen just now
    VoucherFreeze.objects.filter(pk=freeze.pk).update(
        marks_touched_at=timezone.now() - dt.timedelta(minutes=5)
    )
    assert freeze_marks.voucher_freezes_marks_resume() == [freeze.pk]
    assert sent == [("vouchers.freeze_marks", {"freeze_id": freeze.pk})]
    import vouchers.tasks  # noqa: F401  (registers the tasks, as a worker does)

    marks_task = current_app.tasks["vouchers.freeze_marks"]  # the name the sweep queues
    marks_task.apply(kwargs={"freeze_id": freeze.pk}).get()
    marks_task.apply(kwargs={"freeze_id": freeze.pk}).get()  # a second run changes nothing
    freeze.refresh_from_db()
    assert freeze.marks_done_at is not None
    assert freeze.vouchers_frozen == 40
    assert set(Voucher.objects.values_list("state", flat=True)) == {"frozen"}
    voucher = Voucher.objects.filter(service_scope="eats").first()
    assert voucher is not None
    assert (
        voucher_redeem(service_key=eats_key, code=code_of(voucher), order_reference="1").status
        == 404
    )
