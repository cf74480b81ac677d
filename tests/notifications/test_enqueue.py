import threading

import pytest
from django.db import connection, transaction

from notifications.errors import NotificationError
from notifications.models import Notice
from notifications.references import ALPHABET
from notifications.services import notice_enqueue, notices_enqueue_select
from tests.factories import AffectedPersonFactory

pytestmark = pytest.mark.django_db

DECISION = {
    "claim_reference": "C-1",
    "decision_summary": "Approved: ₩30,000",
    "claim_url": "https://compensation.example.com/programs/p/claims/C-1/",
    "appeal_by": "",
}


def _enqueue(**overrides) -> Notice:
    fields = {
        "kind": "decision",
        "channel": "email",
        "language": "ko",
        "to_address": "kim@example.com",
        "context": DECISION,
    }
    return notice_enqueue(**{**fields, **overrides})


def _enqueue_then_fail(error: str, **overrides) -> None:
    """An event that writes a notice, then fails: its transaction (or savepoint) rolls back."""
    with transaction.atomic():
        _enqueue(**overrides)
        raise RuntimeError(error)


@pytest.mark.django_db(transaction=True)
def test_enqueue_outside_a_transaction_is_refused_and_creates_nothing(queued):
    with pytest.raises(NotificationError) as error:
        _enqueue()
    assert error.value.code == "outside_transaction"
    assert not Notice.objects.exists()
    assert queued == []


def test_enqueue_creates_a_pending_notice_and_dispatches_only_after_commit(
    queued, django_capture_on_commit_callbacks
):
    person = AffectedPersonFactory.create()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notice = _enqueue(person=person, program=person.program)
        assert queued == []
    notice.refresh_from_db()
    assert notice.status == Notice.Status.PENDING
    assert notice.priority == Notice.Priority.TRANSACTIONAL
    assert len(notice.reference) == 16
    assert set(notice.reference) <= set(ALPHABET)
    assert queued == [("notifications.dispatch", {"channel": "email"})]


def test_one_transaction_with_many_notices_queues_one_dispatch_per_channel(
    queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for n in range(50):
            _enqueue(to_address=f"p{n}@example.com")
        _enqueue(channel="sms", to_address="010-1234-5678")
    assert Notice.objects.count() == 51
    assert sorted(kwargs["channel"] for _, kwargs in queued) == ["email", "sms"]


def test_a_rolled_back_event_leaves_no_notice_and_queues_nothing(
    queued, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError, match="the event failed"),
    ):
        _enqueue_then_fail("the event failed")
    assert not Notice.objects.exists()
    assert queued == []


def test_the_same_dedupe_key_returns_the_first_notice_and_creates_nothing():
    with transaction.atomic():
        first = _enqueue(dedupe_key="claim:1:decision")
        again = _enqueue(dedupe_key="claim:1:decision", to_address="other@example.com")
    assert again.pk == first.pk
    assert Notice.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"context": {"claim_reference": "C-1"}}, "missing_context"),
        ({"kind": "postcard"}, "unknown_kind"),
        ({"channel": "pigeon"}, "unknown_channel"),
        ({"language": "fr"}, "unknown_language"),
        ({"to_address": ""}, "no_address"),
    ],
)
def test_a_bad_notice_is_refused_and_nothing_is_written(overrides, code):
    with pytest.raises(NotificationError) as error, transaction.atomic():
        _enqueue(**overrides)
    assert error.value.code == code
    assert not Notice.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_events_with_one_dedupe_key_create_one_notice():
    barrier = threading.Barrier(4)
    ids: list[int] = []

    def event() -> None:
        try:
            with transaction.atomic():
                barrier.wait(timeout=10)
                ids.append(_enqueue(dedupe_key="claim:7:decision").pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=event) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(ids) == 4
    assert len(set(ids)) == 1
    assert Notice.objects.filter(dedupe_key="claim:7:decision").count() == 1


def test_a_rolled_back_savepoint_keeps_the_dispatch_of_the_notices_that_stay(
    queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        with pytest.raises(RuntimeError, match="this part of the event failed"):
            _enqueue_then_fail("this part of the event failed", to_address="first@example.com")
        _enqueue(to_address="second@example.com")
    assert list(Notice.objects.values_list("to_address", flat=True)) == ["second@example.com"]
    assert queued == [("notifications.dispatch", {"channel": "email"})]


@pytest.mark.django_db(transaction=True)
def test_each_committed_transaction_queues_its_own_dispatch_and_a_rolled_back_one_none(queued):
    with transaction.atomic():
        _enqueue(to_address="first@example.com")
    assert queued == [("notifications.dispatch", {"channel": "email"})]
    with pytest.raises(RuntimeError, match="the event failed"):
        _enqueue_then_fail("the event failed", to_address="rolled-back@example.com")
    assert len(queued) == 1
    with transaction.atomic():
        _enqueue(to_address="second@example.com")
        _enqueue(to_address="third@example.com")
    assert queued == [("notifications.dispatch", {"channel": "email"})] * 2
    assert Notice.objects.count() == 3


# The bulk enqueue: one INSERT ... SELECT for many notices (payouts settle a million at once).
_PEOPLE_SELECT = """
SELECT p.email, %(language)s, jsonb_build_object(
           'claim_reference', 'C-' || p.id::text, 'decision_summary', %(summary)s,
           'claim_url', '', 'appeal_by', ''),
       p.program_id, p.id, 'bulk-test:' || p.id::text
FROM compensation_affectedperson p WHERE p.id = ANY(%(ids)s)
"""


def _bulk(ids, **overrides) -> int:
    params = {"language": "en", "summary": "Approved", "ids": ids}
    return notices_enqueue_select(
        kind="decision",
        channel="email",
        select=overrides.pop("select", _PEOPLE_SELECT),
        params={**params, **overrides},
    )


def test_bulk_enqueue_creates_one_notice_per_row_once_and_dispatches_once(
    queued, django_capture_on_commit_callbacks
):
    people = AffectedPersonFactory.create_batch(5)
    ids = [person.pk for person in people]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        assert _bulk(ids) == 5
        assert _bulk(ids) == 0  # the dedupe keys exist: nothing twice
        assert queued == []
    assert queued == [("notifications.dispatch", {"channel": "email"})]
    notices = list(Notice.objects.order_by("person_id"))
    assert [n.person_id for n in notices] == sorted(ids)
    assert {n.priority for n in notices} == {Notice.Priority.BULK}
    assert {n.status for n in notices} == {Notice.Status.PENDING}
    assert len({n.reference for n in notices}) == 5
    assert all(set(n.reference) <= set(ALPHABET) and len(n.reference) == 16 for n in notices)
    assert notices[0].context == {
        "claim_reference": f"C-{notices[0].person_id}",
        "decision_summary": "Approved",
        "claim_url": "",
        "appeal_by": "",
    }


def test_bulk_enqueue_with_a_row_missing_a_variable_refuses_all(queued):
    people = AffectedPersonFactory.create_batch(3)
    select = _PEOPLE_SELECT.replace("'decision_summary', %(summary)s", "'other', %(summary)s")
    with transaction.atomic():
        with pytest.raises(NotificationError) as error:
            _bulk([p.pk for p in people], select=select)
        assert error.value.code == "bad_rows"
        assert not Notice.objects.exists()  # the caller's transaction is still usable


def test_bulk_enqueue_with_an_unknown_language_refuses_all(queued):
    people = AffectedPersonFactory.create_batch(2)
    with transaction.atomic(), pytest.raises(NotificationError):
        _bulk([p.pk for p in people], language="fr")
    assert not Notice.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_bulk_enqueue_outside_a_transaction_is_refused(queued):
    with pytest.raises(NotificationError) as error:
        _bulk([])
    assert error.value.code == "outside_transaction"
