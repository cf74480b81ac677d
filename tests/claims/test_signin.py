import re

import pytest
from django.core import mail
from django.urls import reverse

from claims.errors import ClaimError
from claims.models import SignInCode
from claims.services import signin_code_request, signin_code_verify
from tests.claims.conftest import pdf
from tests.factories import ClaimantPersonFactory

pytestmark = pytest.mark.django_db


def _code_from_mail() -> str:
    found = re.search(r"\b(\d{6,8})\b", str(mail.outbox[-1].body))
    assert found is not None
    return found.group(1)


def test_code_is_emailed_at_once_and_only_its_keyed_hash_is_stored(program, person):
    signin_code_request(program=program, email=person.email, language="en", ip_address="10.0.0.1")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [person.email]
    code = _code_from_mail()
    row = SignInCode.objects.get()
    assert code.encode() not in bytes(row.code_hash)
    assert len(bytes(row.code_hash)) == 32
    found, digest = signin_code_verify(
        program=program, email=person.email, code=code, ip_address="10.0.0.1"
    )
    assert found == person
    assert digest == bytes(person.email_hash)


def test_code_works_once(program, person):
    signin_code_request(program=program, email=person.email, language="en", ip_address=None)
    code = _code_from_mail()
    signin_code_verify(program=program, email=person.email, code=code, ip_address=None)
    with pytest.raises(ClaimError):
        signin_code_verify(program=program, email=person.email, code=code, ip_address=None)


def test_wrong_guesses_lock_the_code_even_for_the_right_one(program, person, settings):
    settings.CLAIMS_SIGNIN_MAX_ATTEMPTS = 3
    signin_code_request(program=program, email=person.email, language="en", ip_address=None)
    code = _code_from_mail()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(3):
        with pytest.raises(ClaimError):
            signin_code_verify(program=program, email=person.email, code=wrong, ip_address=None)
    with pytest.raises(ClaimError):
        signin_code_verify(program=program, email=person.email, code=code, ip_address=None)
    assert SignInCode.objects.get().attempts == 3


def test_expired_code_is_refused(program, person):
    signin_code_request(program=program, email=person.email, language="en", ip_address=None)
    code = _code_from_mail()
    from django.utils import timezone

    SignInCode.objects.update(expires_at=timezone.now())
    with pytest.raises(ClaimError):
        signin_code_verify(program=program, email=person.email, code=code, ip_address=None)


def test_requests_per_address_are_throttled_without_sending(program, person, settings):
    settings.CLAIMS_THROTTLES = {**settings.CLAIMS_THROTTLES, "signin_address": (2, 3600)}
    for _ in range(2):
        signin_code_request(program=program, email=person.email, language="en", ip_address=None)
    with pytest.raises(ClaimError) as exc:
        signin_code_request(program=program, email=person.email, language="en", ip_address=None)
    assert exc.value.code == "throttled"
    assert len(mail.outbox) == 2


def test_someone_off_the_list_verifies_their_email_and_is_not_told_apart(client, program):
    url = reverse("claims:signin", args=[program.slug])
    response = client.post(url, {"email": "buyer@example.com"})
    assert response.status_code == 302
    code = _code_from_mail()
    response = client.post(reverse("claims:signin_code", args=[program.slug]), {"code": code})
    assert response.status_code == 302
    assert client.session["claimant_person_id"] is None
    assert client.session["claimant_email_hash"]


def test_code_never_reaches_the_logs(program, person, caplog):
    with caplog.at_level("DEBUG"):
        signin_code_request(program=program, email=person.email, language="ko", ip_address=None)
    code = _code_from_mail()
    assert code not in caplog.text
    assert person.email not in caplog.text
    assert "로그인" in mail.outbox[0].subject or mail.outbox[0].subject


def _draft_review_url(client, program, claim_type) -> str:
    details = reverse("claims:details", args=[program.slug, claim_type.code])
    response = client.post(
        details,
        {"amount": "45000", "statement": "Statement of the first claimant", "doc_receipt": pdf()},
    )
    assert response.status_code == 302
    return response["Location"]


def test_sign_out_ends_the_session_so_the_next_claimant_cannot_open_the_draft(
    client, program, documented, person
):
    from claims.models import Claim
    from tests.claims.conftest import claimant_session

    claimant_session(client, person=person, email=person.email)
    review_url = _draft_review_url(client, program, documented)
    first_key = client.session.session_key
    response = client.post(reverse("claims:signout"))
    assert response.status_code == 302
    from django.conf import settings
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=first_key).exists()
    # The browser is told to drop the cookie; the test client keeps an empty one, so drop it.
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 0
    del client.cookies[settings.SESSION_COOKIE_NAME]

    other = ClaimantPersonFactory(program=program, email="jisoo@example.com", language="en")
    claimant_session(client, person=other, email=other.email)
    page = client.get(review_url)
    assert page.status_code == 404
    assert "first claimant" not in page.text
    assert client.post(review_url).status_code == 404
    assert not Claim.objects.exists()


def test_a_draft_another_identity_left_in_the_session_is_neither_shown_nor_submitted(
    client, program, documented, person
):
    from claims.models import Claim
    from tests.claims.conftest import claimant_session

    claimant_session(client, person=person, email=person.email)
    review_url = _draft_review_url(client, program, documented)
    # The session somehow still carries the draft when someone else is signed in with it.
    other = ClaimantPersonFactory(program=program, email="jisoo@example.com", language="en")
    claimant_session(client, person=other, email=other.email)
    assert "claims_drafts" in client.session
    page = client.get(review_url)
    assert page.status_code == 404
    assert "first claimant" not in page.text
    assert client.post(review_url).status_code == 404
    assert not Claim.objects.exists()
    # The person who made it still can.
    claimant_session(client, person=person, email=person.email)
    assert "first claimant" in client.get(review_url).text


def test_signing_in_as_someone_else_without_signing_out_starts_from_nothing(
    client, program, documented, person
):
    from tests.claims.conftest import claimant_session

    claimant_session(client, person=person, email=person.email)
    _draft_review_url(client, program, documented)
    client.post(reverse("claims:signin", args=[program.slug]), {"email": "jisoo@example.com"})
    code = _code_from_mail()
    response = client.post(reverse("claims:signin_code", args=[program.slug]), {"code": code})
    assert response.status_code == 302
    assert "claims_drafts" not in client.session
    assert client.session["claims_contact_email"] == "jisoo@example.com"
