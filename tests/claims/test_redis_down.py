"""Claimant pages with Redis really unreachable (the cache and the limits on a port nothing
listens on): a claim is still taken; a sign-in code or a notice check, whose limits cannot be
counted, gets a clear 503 page in the person's language, never a 500."""

import pytest
from django.core import mail
from django.urls import reverse

from claims.models import Claim, SignInCode
from notifications.models import Notice
from tests.claims.conftest import claimant_session, pdf

pytestmark = pytest.mark.django_db

DEAD = "redis://127.0.0.1:1/0"  # nothing listens there

UNAVAILABLE = {
    "en": "Please try again in a minute",
    "ko": "잠시 후 다시 시도해 주세요",
    "zh-hans": "请稍后再试",
}


@pytest.fixture
def redis_down(settings):
    real_url, real_caches = settings.REDIS_URL, settings.CACHES
    settings.REDIS_URL = DEAD
    settings.CACHES = {"default": {**real_caches["default"], "LOCATION": DEAD}}
    yield
    settings.REDIS_URL, settings.CACHES = real_url, real_caches


@pytest.mark.parametrize("language", ["en", "ko", "zh-hans"])
def test_a_sign_in_code_request_answers_503_in_the_persons_language_and_sends_nothing(
    client, program, person, redis_down, language
):
    response = client.post(
        reverse("claims:signin", args=[program.slug]),
        {"email": person.email},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert UNAVAILABLE[language] in response.text
    assert mail.outbox == []
    assert not SignInCode.objects.exists()


def test_a_sign_in_code_check_answers_503_and_counts_no_attempt(
    client, program, person, redis_down
):
    session = client.session
    session["claims_signin_email"] = person.email
    session.save()
    response = client.post(
        reverse("claims:signin_code", args=[program.slug]),
        {"code": "123456"},
        HTTP_ACCEPT_LANGUAGE="ko",
    )
    assert response.status_code == 503
    assert UNAVAILABLE["ko"] in response.text
    assert not SignInCode.objects.exists()


def test_a_notice_check_answers_503_without_saying_anything_about_the_notice(client, redis_down):
    response = client.post(
        reverse("claims:verify"),
        {"reference": "ABCD-EFGH-JKMN-PQRS"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 503
    assert UNAVAILABLE["zh-hans"] in response.text
    assert "ABCD" not in response.text


def test_a_claim_submitted_while_redis_is_down_is_taken_and_its_notice_waits_in_the_outbox(
    client, program, documented, person, redis_down
):
    claimant_session(client, person=person, email=person.email)
    details = reverse("claims:details", args=[program.slug, documented.code])
    response = client.post(details, {"amount": "45000", "doc_receipt": pdf()})
    assert response.status_code == 302
    submitted = client.post(response["Location"])
    assert submitted.status_code == 302
    claim = Claim.objects.get()
    assert submitted["Location"] == reverse("claims:status", args=[program.slug, claim.reference])
    assert claim.person == person
    assert claim.documents.count() == 1
    notice = Notice.objects.get(kind="claim_acknowledged", to_address=person.email)
    assert notice.status == Notice.Status.PENDING
    assert client.get(submitted["Location"]).status_code == 200
