"""Sealed notice variables: encrypted in the outbox, opened only to render the message."""

import pytest
from django.db import transaction

from notifications.errors import NotificationError
from notifications.models import Notice
from notifications.sealed import PREFIX, seal, unseal
from notifications.services import notice_enqueue, notices_enqueue_select


def test_a_sealed_value_opens_to_what_it_was_and_reads_as_nothing_else():
    sealed = seal("482913")
    assert sealed.startswith(PREFIX)
    assert "482913" not in sealed
    assert unseal(sealed) == "482913"
    assert seal(sealed) == sealed  # a notice sent again keeps its one seal
    assert unseal("482913") == ""  # a plain value is never printed as a sealed one


def test_a_value_sealed_under_another_key_opens_to_nothing(settings):
    sealed = seal("482913")
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    settings.SECRET_KEY_FALLBACKS = []
    assert unseal(sealed) == ""


def test_a_rotated_key_still_opens_what_it_sealed(settings):
    old = settings.SECRET_KEY
    sealed = seal("482913")
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    settings.SECRET_KEY_FALLBACKS = [old]
    assert unseal(sealed) == "482913"


@pytest.mark.django_db
def test_the_outbox_holds_a_sign_in_code_sealed(monkeypatch):
    monkeypatch.setattr("config.queueing.task_send", lambda *a, **k: True)
    with transaction.atomic():
        notice = notice_enqueue(
            kind="signin_code",
            channel="email",
            language="en",
            to_address="minji@example.com",
            context={"code": "482913", "minutes": "10"},
            priority_lane=True,
        )
    stored = Notice.objects.get(pk=notice.pk).context
    assert stored["minutes"] == "10"
    assert "482913" not in str(stored)
    assert unseal(stored["code"]) == "482913"


_BULK_ROW = """
SELECT 'minji@example.com', 'en', jsonb_build_object('personal_url', %(url)s::text,
       'valid_until', 'March 1'), NULL::bigint, NULL::bigint, 'sealed-bulk-test'
"""


@pytest.mark.django_db
def test_bulk_notices_with_a_sealed_variable_left_readable_are_refused_whole(monkeypatch):
    monkeypatch.setattr("config.queueing.task_send", lambda *a, **k: True)
    url = "https://compensation.example.com/go/secret-token/"
    with transaction.atomic(), pytest.raises(NotificationError) as exc:
        notices_enqueue_select(
            kind="personal_link", channel="email", select=_BULK_ROW, params={"url": url}
        )
    assert exc.value.code == "bad_rows"
    assert not Notice.objects.exists()
    # Sealed by the caller, the same row goes in, and the outbox holds only the seal.
    with transaction.atomic():
        created = notices_enqueue_select(
            kind="personal_link", channel="email", select=_BULK_ROW, params={"url": seal(url)}
        )
    assert created == 1
    stored = Notice.objects.get().context
    assert "secret-token" not in str(stored)
    assert unseal(stored["personal_url"]) == url
