import pytest
from django.db import connection

from notifications.models import Notice
from notifications.references import ALPHABET, reference_display, reference_normalize
from notifications.selectors import notice_is_genuine
from tests.notifications.factories import NoticeFactory


def test_typed_references_are_read_as_meant():
    assert reference_normalize("7q2m-9kxd-4tgb-h1zp") == "7Q2M9KXD4TGBH1ZP"
    assert reference_normalize(" 7Q2M 9KXD 4TGB HIZP ") == "7Q2M9KXD4TGBH1ZP"  # I read as 1
    assert reference_normalize("7Q2M-9KXD-4TGB") is None
    assert reference_normalize("7Q2M-9KXD-4TGB-H1Z!") is None
    assert reference_display("7Q2M9KXD4TGBH1ZP") == "7Q2M-9KXD-4TGB-H1ZP"


@pytest.mark.django_db
def test_references_made_in_postgresql_have_the_same_form_and_do_not_repeat():
    with connection.cursor() as cursor:
        cursor.execute("SELECT notifications_reference_new() FROM generate_series(1, 5000)")
        references = [row[0] for row in cursor.fetchall()]
    assert len(set(references)) == 5000
    assert all(len(r) == 16 and set(r) <= set(ALPHABET) for r in references)
    # Every symbol turns up in every position, none far from its share (5000/32 = 156): the
    # random bits map evenly onto the alphabet, position by position (a symbol missing by
    # chance: about e^-156; outside 80-240 by chance: far below one in a million).
    for position in range(16):
        counts = dict.fromkeys(ALPHABET, 0)
        for reference in references:
            counts[reference[position]] += 1
        assert min(counts.values()) >= 80, (position, counts)
        assert max(counts.values()) <= 240, (position, counts)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "attempts", "genuine"),
    [("sent", 1, True), ("sending", 1, True), ("failed", 3, True), ("pending", 0, False)],
)
def test_a_notice_is_genuine_once_it_may_have_been_sent(status, attempts, genuine):
    notice = NoticeFactory.create(
        status=status,
        attempts=attempts,
        claimed_at="2026-01-01T00:00Z",
        sent_at="2026-01-01T00:00Z",
    )
    assert notice_is_genuine(notice.reference_display.lower()) is genuine


@pytest.mark.django_db
def test_an_unknown_or_malformed_reference_is_not_genuine():
    NoticeFactory.create(status=Notice.Status.SENT, sent_at="2026-01-01T00:00Z", attempts=1)
    assert notice_is_genuine("0000-0000-0000-0000") is False
    assert notice_is_genuine("'; drop table --") is False
    assert notice_is_genuine("") is False
