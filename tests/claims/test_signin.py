import re

import pytest
from django.core import mail
from django.urls import reverse

from claims.errors import ClaimError
from claims.models import SignInCode
from claims.services import signin_code_request, signin_code_verify

pytestmark = pytest.mark.django_db


def _code_from_mail() -> str:
    return re.search(r"\b(\d{6,8})\b", mail.outbox[-1].body).group(1)


def test_code_is_emailed_at_once_and_only_its_keyed_hash_is_stored(program, person):
    signin_code_request(program=program, email=person.email, language="en", ip_address="10.0.0.1")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [person.email]
    code = _code_from_mail()
    row = SignInCode.objects.get()
    assert code.encode() not in bytes(row.code_hash) and len(bytes(row.code_hash)) == 32
    found, digest = signin_code_verify(
        program=program, email=person.email, code=code, ip_address="10.0.0.1"
    )
    assert found == person and digest == bytes(person.email_hash)


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
    assert code not in caplog.text and person.email not in caplog.text
    assert "로그인" in mail.outbox[0].subject or mail.outbox[0].subject
