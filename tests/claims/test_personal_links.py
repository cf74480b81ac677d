"""Personal links: a notice's link that signs its one recipient in, once, until it expires."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from claims.errors import ClaimError
from claims.models import PersonalLink
from claims.services.personal_links import personal_link_send, personal_link_use
from compensation.hashing import email_hash
from notifications.models import Notice
from tests.claims.outbox import priority_send

pytestmark = pytest.mark.django_db


def _send(program, person, next_path=None) -> str:
    """Send the person a link to the program's claim page; the link's path from the email."""
    personal_link_send(
        program=program,
        person=person,
        channel="email",
        next_path=next_path or reverse("claims:start", args=[program.slug]),
    )
    priority_send("email")
    found = re.search(r"(/go/[^/\s]+/)", str(mail.outbox[-1].body))
    assert found is not None
    return found.group(1)


def test_the_link_goes_through_the_outbox_sealed_and_only_its_hash_is_stored(program, person):
    path = _send(program, person)
    token = path.split("/")[2]
    notice = Notice.objects.get(kind="personal_link")
    assert token not in str(notice.context)
    link = PersonalLink.objects.get()
    assert token.encode() not in bytes(link.token_hash)
    assert notice.reference_display in str(mail.outbox[-1].body)


def test_opening_the_link_shows_one_button_and_spends_nothing(client, program, person):
    path = _send(program, person)
    response = client.get(path)
    assert response.status_code == 200
    assert 'id="continue"' in response.text
    assert PersonalLink.objects.get().used_at is None
    assert "claimant_person_id" not in client.session


def test_the_link_signs_its_recipient_in_once_and_opens_its_page(client, program, person):
    path = _send(program, person)
    response = client.post(path)
    assert response.status_code == 302
    assert response["Location"] == reverse("claims:start", args=[program.slug])
    assert client.session["claimant_person_id"] == person.pk
    assert client.session["claimant_email_hash"] == bytes(person.email_hash).hex()
    assert client.get(response["Location"]).status_code == 200


def test_a_used_link_falls_back_to_the_code_sign_in_with_a_clear_message(client, program, person):
    path = _send(program, person)
    client.post(path)
    other = client.__class__()
    response = other.post(path)
    assert response.status_code == 200
    assert "already been used" in response.text
    assert 'name="email"' in response.text  # the code sign-in, right there
    assert "claimant_person_id" not in other.session
    assert other.get(path).status_code == 200  # GET says the same
    assert "already been used" in other.get(path).text


def test_an_expired_link_falls_back_to_the_code_sign_in(client, program, person):
    path = _send(program, person)
    PersonalLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.post(path)
    assert "has expired" in response.text
    assert "claimant_person_id" not in client.session
    assert PersonalLink.objects.get().used_at is None


def test_a_link_signs_in_no_one_once_its_recipient_no_longer_has_the_address(
    client, program, person
):
    path = _send(program, person)
    # The record's email changed after the notice went out: the old mailbox is someone else's.
    person.email = "new-owner@example.com"
    person.email_hash = email_hash(person.email)
    person.save(update_fields=["email", "email_hash"])
    response = client.post(path)
    assert "no longer on your record" in response.text
    assert "claimant_person_id" not in client.session
    assert PersonalLink.objects.get().used_at is None


def test_a_link_opened_where_someone_else_is_signed_in_leaves_nothing_of_theirs(
    client, program, person
):
    from tests.claims.conftest import claimant_session

    claimant_session(client, person=None, email="somebody-else@example.com")
    path = _send(program, person)
    client.post(path)
    assert client.session["claimant_person_id"] == person.pk
    assert client.session["claims_contact_email"] == person.email


def test_a_made_up_token_signs_in_no_one(client):
    response = client.post(reverse("claims:personal_link", args=["x" * 43]))
    assert response.status_code == 404
    assert "claimant_person_id" not in client.session


def test_two_uses_at_once_sign_in_once(program, person):
    path = _send(program, person)
    token = path.split("/")[2]
    personal_link_use(token=token, ip_address=None)
    with pytest.raises(ClaimError) as exc:
        personal_link_use(token=token, ip_address=None)
    assert exc.value.code == "link_used"
