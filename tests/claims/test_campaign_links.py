"""Campaign notices to people of the population carry a personal link to /me/: made when the
notice is first sent, for the whole chunk the sender claimed in one statement
(claims.services.personal_links.personal_links_make), sealed in each notice, bound to the
person and the address it went to."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims.models import PersonalLink
from claims.services.personal_links import _token_hash
from compensation.hashing import email_hash, phone_hash
from notifications.models import Campaign, Notice
from notifications.sealed import unseal
from notifications.services import campaign_build, campaign_create, notices_dispatch
from tests.factories import ClaimantPersonFactory, ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db

SITE = "https://compensation.example.com"
VOUCHERS = {"voucher_total": "50,000 KRW", "valid_from": "2026-01-15"}


@pytest.fixture(autouse=True)
def _sender(settings):
    from notifications.services import sending

    settings.NOTIFICATIONS_SITE_URL = SITE
    settings.NOTIFICATIONS_RATE_PER_SECOND = {"email": 0, "sms": 0}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sending._floors.clear()
    sending._floors_reset_at.clear()


def _people(program, count):
    return [
        ClaimantPersonFactory.create(program=program, language=("ko", "en", "zh-hans")[n % 3])
        for n in range(count)
    ]


def _built(program, *, kind="voucher_issued", context=None):
    campaign = campaign_create(
        name="Vouchers issued",
        program=program,
        kind=kind,
        channel="email",
        audience="population",
        context=VOUCHERS if context is None else context,
        actor=UserFactory.create(),
    )
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.BUILDING, scheduled_for=timezone.now()
    )
    assert campaign_build(campaign_id=campaign.pk) is True
    return campaign


def _sent_with_queries(size):
    with CaptureQueriesContext(connection) as queries:
        assert notices_dispatch(channel="email", chunk_size=size) == size
    return len(queries)


def test_the_build_makes_no_link_and_sending_a_chunk_makes_one_each_in_fixed_queries():
    small, large = ProgramFactory.create(), ProgramFactory.create()
    _people(small, 3)
    people = _people(large, 40)
    _built(small)
    campaign = _built(large)
    assert not PersonalLink.objects.exists()  # a build is its INSERT ... SELECT only
    assert not Notice.objects.filter(context__has_key="personal_url").exists()
    small_queries = _sent_with_queries(3)  # the oldest notices first: the small program's
    large_queries = _sent_with_queries(40)
    assert len(mail.outbox) == 43
    assert large_queries == small_queries  # the chunk's links cost no query per person

    notices = list(Notice.objects.filter(campaign=campaign).select_related("person"))
    links = {link.pk: link for link in PersonalLink.objects.filter(program=large)}
    assert len(notices) == len(links) == len(people)
    tokens = set()
    for notice in notices:
        url = unseal(notice.context["personal_url"])
        assert url.startswith(SITE + "/go/")
        assert "/go/" not in str(notice.context)  # only the seal is stored
        token = urlsplit(url).path.split("/")[2]
        tokens.add(token)
        link = PersonalLink.objects.get(token_hash=_token_hash(token))
        assert link.person_id == notice.person_id
        assert bytes(link.recipient_hash) == email_hash(notice.to_address)
        assert notice.person is not None
        assert notice.person.email_hash is not None
        assert bytes(link.identity_hash) == bytes(notice.person.email_hash)
        assert link.next_path == reverse("claims:me")
        assert link.used_at is None
        assert link.expires_at > timezone.now()
    assert len(tokens) == len(people)  # every link its own token
    assert all(len(token) >= 43 for token in tokens)  # 32 bytes, base64url


def test_a_notice_sent_again_carries_the_link_it_was_first_given(monkeypatch):
    from notifications.channels import TransientSendError
    from notifications.channels.email import EmailChannel

    program = ProgramFactory.create()
    _people(program, 5)
    campaign = _built(program)
    bodies: list[str] = []
    real_send = EmailChannel.send

    def flaky(self, message):  # the provider takes every message once it has seen it once
        bodies.append(message.body)
        if bodies.count(message.body) == 1:
            raise TransientSendError("try again later")
        return real_send(self, message)

    monkeypatch.setattr(EmailChannel, "send", flaky)
    notices_dispatch(channel="email")
    assert not mail.outbox
    Notice.objects.filter(campaign=campaign).update(next_attempt_at=timezone.now())
    notices_dispatch(channel="email")  # the retries, each with the body of its first try
    assert len(mail.outbox) == 5
    assert Notice.objects.filter(campaign=campaign, status="sent").count() == 5
    assert PersonalLink.objects.count() == 5
    urls = {u for m in mail.outbox for u in re.findall(r"https://\S+/go/\S+", str(m.body))}
    assert len(urls) == 5


def test_a_links_lifetime_starts_when_its_notice_is_sent():
    program = ProgramFactory.create()
    _people(program, 1)
    _built(program)
    built_by = timezone.now()
    notices_dispatch(channel="email")
    assert PersonalLink.objects.get().created_at >= built_by


def test_a_campaign_notice_carries_a_link_that_opens_the_persons_page_once(client):
    program = ProgramFactory.create()
    (person,) = _people(program, 1)
    _built(program)
    notices_dispatch(channel="email")
    (message,) = mail.outbox
    (url,) = [u for u in re.findall(r"https://\S+", str(message.body)) if "/go/" in u]
    path = urlsplit(url).path
    assert client.get(path).status_code == 200
    opened = client.post(path)
    assert opened["Location"] == reverse("claims:me")
    assert client.get(reverse("claims:me")).status_code == 200
    assert PersonalLink.objects.get(person=person).used_at is not None
    # Used, it signs nobody in: the code sign-in, with the reason.
    again = Client().post(path)
    assert again.status_code == 200
    assert "already been used" in again.text


def test_a_person_reached_by_sms_gets_a_link_bound_to_their_phone():
    program = ProgramFactory.create()
    person = ClaimantPersonFactory.create(
        program=program, email="", phone="010-3333-0101", phone_hash=phone_hash("010-3333-0101")
    )
    campaign = _built(program)
    notices_dispatch(channel="sms")
    notice = Notice.objects.get(campaign=campaign)
    assert notice.channel == "sms"
    link = PersonalLink.objects.get(person=person)
    assert bytes(link.recipient_hash) == phone_hash("010-3333-0101")
    assert unseal(notice.context["personal_url"]).startswith(SITE + "/go/")


def test_a_person_without_a_keyed_hash_gets_the_notice_without_a_link():
    """An imported person whose address has no keyed hash cannot be bound: the notice goes,
    printing nothing in the link's place."""
    program = ProgramFactory.create()
    person = ClaimantPersonFactory.create(program=program, email_hash=None)
    campaign = _built(program)
    notices_dispatch(channel="email")
    assert len(mail.outbox) == 1
    notice = Notice.objects.get(campaign=campaign, person=person)
    assert "personal_url" not in notice.context
    assert not PersonalLink.objects.exists()
