import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from claims.errors import ClaimError
from claims.models import SignInCode
from claims.services.signin import signin_code_request, signin_code_verify
from compensation.hashing import phone_hash
from notifications.channels import sms
from notifications.models import Notice
from tests.claims.conftest import pdf
from tests.claims.outbox import emailed_code, priority_send
from tests.factories import ClaimantPersonFactory

pytestmark = pytest.mark.django_db


def _request(program, address, *, device="owner-device", ip="10.0.0.1", channel="email"):
    signin_code_request(
        program=program,
        address=address,
        channel=channel,
        language="en",
        ip_address=ip,
        device=device,
    )


def _verify(program, address, code, *, channel="email"):
    return signin_code_verify(
        program=program, address=address, code=code, ip_address="10.0.0.1", channel=channel
    )


def test_the_code_goes_through_the_outbox_on_the_priority_lane_with_a_reference(program, person):
    _request(program, person.email)
    notice = Notice.objects.get()
    assert (notice.kind, notice.channel, notice.priority) == ("signin_code", "email", 0)
    assert mail.outbox == []  # nothing is sent from the request itself
    code = emailed_code()
    # The outbox never held the code readable: sealed in the context, only a hash stored.
    notice.refresh_from_db()
    assert code not in str(notice.context)
    assert notice.status == Notice.Status.SENT
    row = SignInCode.objects.get()
    assert code.encode() not in bytes(row.code_hash)
    assert len(bytes(row.code_hash)) == 32
    # The message names its reference, which /verify/ confirms.
    assert notice.reference_display in str(mail.outbox[0].body)
    assert mail.outbox[0].to == [person.email]
    found, digest = _verify(program, person.email, code)
    assert found == person
    assert digest == bytes(person.email_hash)


def test_the_reference_of_a_sign_in_notice_checks_as_genuine(client, program, person):
    _request(program, person.email)
    emailed_code()
    reference = Notice.objects.get().reference_display
    response = client.post(reverse("claims:verify"), {"reference": reference})
    assert response.status_code == 200
    assert response.context["result"] is True


def test_code_works_once(program, person):
    _request(program, person.email)
    code = emailed_code()
    _verify(program, person.email, code)
    with pytest.raises(ClaimError):
        _verify(program, person.email, code)


def test_an_old_code_still_works_after_a_new_request(program, person):
    _request(program, person.email)
    first = emailed_code()
    _request(program, person.email, device="a-strangers-device", ip="203.0.113.9")
    second = emailed_code()
    assert first != second or SignInCode.objects.count() == 2
    found, _digest = _verify(program, person.email, first)
    assert found == person
    # and the newer one too, once
    assert _verify(program, person.email, second)[0] == person


def test_beyond_the_live_codes_the_oldest_retires(program, person, settings):
    settings.CLAIMS_SIGNIN_LIVE_CODES = 2
    codes = []
    for _ in range(3):
        _request(program, person.email)
        codes.append(emailed_code())
    assert SignInCode.objects.filter(used_at__isnull=True).count() == 2
    with pytest.raises(ClaimError):
        _verify(program, person.email, codes[0])
    assert _verify(program, person.email, codes[2])[0] == person


def test_wrong_guesses_lock_the_code_even_for_the_right_one(program, person, settings):
    settings.CLAIMS_SIGNIN_MAX_ATTEMPTS = 3
    _request(program, person.email)
    code = emailed_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(3):
        with pytest.raises(ClaimError):
            _verify(program, person.email, wrong)
    with pytest.raises(ClaimError):
        _verify(program, person.email, code)
    assert SignInCode.objects.get().attempts == 3


def test_expired_code_is_refused(program, person):
    _request(program, person.email)
    code = emailed_code()
    SignInCode.objects.update(expires_at=timezone.now())
    with pytest.raises(ClaimError):
        _verify(program, person.email, code)


def test_requests_per_address_and_device_are_throttled_without_sending(program, person, settings):
    settings.CLAIMS_THROTTLES = {**settings.CLAIMS_THROTTLES, "signin_address_device": (2, 900)}
    for _ in range(2):
        _request(program, person.email)
    with pytest.raises(ClaimError) as exc:
        _request(program, person.email)
    assert exc.value.code == "throttled"
    assert exc.value.status == 429
    assert Notice.objects.count() == 2
    assert SignInCode.objects.count() == 2


def test_a_strangers_requests_do_not_lock_the_owner_out(program, person, settings):
    settings.CLAIMS_THROTTLES = {
        **settings.CLAIMS_THROTTLES,
        "signin_address": (4, 3600),
        "signin_address_network": (3, 3600),
    }
    # The owner signed in from this browser before (it is trusted for the address) and
    # holds a code.
    _request(program, person.email, device="owner-device", ip="198.51.100.7")
    held = emailed_code()
    # A stranger spends everything the address has, from several devices and networks.
    outcomes = []
    for n in range(12):
        try:
            _request(program, person.email, device=f"bot-{n}", ip=f"203.0.{n % 3}.9")
            outcomes.append("sent")
        except ClaimError as exc:
            outcomes.append(exc.code)
    assert outcomes.count("sent") == 3  # the rest of the address-wide limit, spent
    assert set(outcomes) == {"sent", "throttled"}
    # The code the owner holds still works...
    assert _verify(program, person.email, held)[0] == person
    from claims.throttle import device_trust
    from compensation.hashing import email_hash

    digest = email_hash(person.email)
    assert digest is not None
    device_trust(address_hash=digest, device="owner-device")
    # ...and the owner's browser still gets new codes: the address-wide limits the stranger
    # spent do not apply to it, its own per-browser budget is untouched.
    _request(program, person.email, device="owner-device", ip="198.51.100.7")
    assert _verify(program, person.email, emailed_code())[0] == person


def test_a_carriers_shared_address_does_not_lock_its_customers_out(program, settings):
    # Thousands of phones behind one carrier address: each browser has its own budget.
    for n in range(40):
        someone = ClaimantPersonFactory.create(program=program, email=f"p{n}@example.com")
        _request(program, someone.email, device=f"phone-{n}", ip="100.64.0.1")
    assert SignInCode.objects.count() == 40


def test_requests_without_a_device_cookie_share_a_small_budget_per_network(program, settings):
    settings.CLAIMS_THROTTLES = {**settings.CLAIMS_THROTTLES, "signin_cookieless": (3, 3600)}
    for n in range(3):
        _request(program, f"s{n}@example.com", device=None, ip="192.0.2.10")
    with pytest.raises(ClaimError):
        _request(program, "s9@example.com", device=None, ip="192.0.2.77")
    # A browser with its cookie on the same network is not held back by the script.
    _request(program, "s9@example.com", device="a-browser", ip="192.0.2.77")


def test_a_throttled_sign_in_page_answers_429_with_the_message(client, program, person, settings):
    settings.CLAIMS_THROTTLES = {**settings.CLAIMS_THROTTLES, "signin_network": (1, 3600)}
    url = reverse("claims:signin", args=[program.slug])
    assert client.post(url, {"email": person.email}).status_code == 302
    response = client.post(url, {"email": person.email}, HTTP_ACCEPT_LANGUAGE="ko")
    assert response.status_code == 429
    assert response["Retry-After"]
    assert "잠시 후 다시 시도해 주세요" in response.text or "시도" in response.text
    assert Notice.objects.count() == 1


def test_a_throttled_notice_check_answers_429_with_the_message(client, settings):
    settings.CLAIMS_THROTTLES = {**settings.CLAIMS_THROTTLES, "verify_network": (1, 3600)}
    url = reverse("claims:verify")
    client.post(url, {"reference": "ABCD-EFGH-JKMN-PQRS"})
    response = client.post(url, {"reference": "ABCD-EFGH-JKMN-PQRS"})
    assert response.status_code == 429
    assert "Too many attempts" in response.text


def test_the_sign_in_pages_give_the_browser_a_device_cookie(client, program):
    response = client.get(reverse("claims:signin", args=[program.slug]))
    assert response.status_code == 200
    cookie = response.cookies["claims_device"]
    assert cookie["httponly"]
    assert cookie.value  # signed: a forged value reads as no cookie


def test_someone_off_the_list_verifies_their_email_and_is_not_told_apart(client, program):
    url = reverse("claims:signin", args=[program.slug])
    response = client.post(url, {"email": "buyer@example.com"})
    assert response.status_code == 302
    code = emailed_code()
    response = client.post(reverse("claims:signin_code", args=[program.slug]), {"code": code})
    assert response.status_code == 302
    assert client.session["claimant_person_id"] is None
    assert client.session["claimant_email_hash"]


def test_code_never_reaches_the_logs(program, person, caplog):
    with caplog.at_level("DEBUG"):
        signin_code_request(program=program, address=person.email, language="ko", ip_address=None)
        code = emailed_code()
    assert code not in caplog.text
    assert person.email not in caplog.text
    assert "로그인" in str(mail.outbox[0].subject)


# --- SMS --------------------------------------------------------------------------------------


@pytest.fixture
def sms_outbox(settings):
    settings.SMS_BACKEND = "locmem"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def _phone_person(program, phone="010-2345-6789", **fields):
    return ClaimantPersonFactory.create(
        program=program, phone=phone, phone_hash=phone_hash(phone), **fields
    )


def test_sign_in_by_sms_code_through_the_sms_backend(client, program, sms_outbox):
    person = _phone_person(program, email="", email_hash=None, language="ko")
    url = reverse("claims:signin", args=[program.slug])
    response = client.post(url, {"channel": "sms", "phone": "010 2345 6789"})
    assert response.status_code == 302
    assert priority_send("sms") == 1
    message = sms_outbox[-1]
    assert message.to_address == "+821023456789"
    import re

    found = re.search(r"\b(\d{6,8})\b", message.body)
    assert found is not None
    assert Notice.objects.get().reference_display in message.body
    response = client.post(
        reverse("claims:signin_code", args=[program.slug]), {"code": found.group(1)}
    )
    assert response.status_code == 302
    assert client.session["claimant_person_id"] == person.pk
    assert client.session["claimant_email_hash"] == bytes(person.phone_hash).hex()
    # Signed in by phone, the person's pages open.
    assert client.get(reverse("claims:me")).status_code == 200


def test_sms_sign_in_of_a_person_with_an_email_carries_their_email_identity(program, sms_outbox):
    person = _phone_person(program, email="haneul@example.com")
    _request(program, "+82 10-2345-6789", channel="sms")
    priority_send("sms")
    import re

    found = re.search(r"\b(\d{6,8})\b", sms_outbox[-1].body)
    assert found is not None
    found_person, identity = _verify(program, "01023456789", found.group(1), channel="sms")
    assert found_person == person
    assert identity == bytes(person.email_hash)


def test_an_sms_code_goes_only_to_a_number_on_the_list_and_the_page_is_the_same(
    client, program, sms_outbox
):
    url = reverse("claims:signin", args=[program.slug])
    response = client.post(url, {"channel": "sms", "phone": "010-9999-0000"})
    assert response.status_code == 302
    assert "/sign-in/code/" in response["Location"]
    assert not Notice.objects.exists()
    assert not SignInCode.objects.exists()


# --- A mail server that refuses ---------------------------------------------------------------


def test_a_refusing_mail_server_never_turns_the_request_into_an_error(client, program, settings):
    from tests.notifications.smtp import SmtpServer

    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        url = reverse("claims:signin", args=[program.slug])
        refused = client.post(url, {"email": "nobody@bad.example"})  # 550 for this domain
        deferred = client.post(url, {"email": "later@busy.example"})  # 451 for this one
        assert (refused.status_code, deferred.status_code) == (302, 302)
        assert priority_send("email") == 2
    by_address = {n.to_address: n for n in Notice.objects.all()}
    assert by_address["nobody@bad.example"].status == Notice.Status.FAILED
    assert by_address["later@busy.example"].status == Notice.Status.PENDING  # retried later
    assert server.handler.received == 0


def test_a_mail_server_that_is_down_leaves_the_code_waiting_not_an_error(client, program, settings):
    from tests.notifications.smtp import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    response = client.post(reverse("claims:signin", args=[program.slug]), {"email": "a@b.example"})
    assert response.status_code == 302
    priority_send("email")
    notice = Notice.objects.get()
    assert notice.status == Notice.Status.PENDING
    assert "connect" in notice.last_error


# --- The priority lane ------------------------------------------------------------------------


def test_the_priority_lane_sends_the_code_and_leaves_a_campaigns_notices(program, person):
    from tests.notifications.factories import NoticeFactory

    bulk = NoticeFactory.create(priority=Notice.Priority.BULK, channel="email", program=program)
    _request(program, person.email)
    assert priority_send("email") == 1
    bulk.refresh_from_db()
    assert bulk.status == Notice.Status.PENDING
    assert Notice.objects.get(kind="signin_code").status == Notice.Status.SENT


def test_the_priority_lane_has_its_own_queue(settings):
    route = settings.CELERY_TASK_ROUTES["notifications.dispatch_priority"]
    assert route["queue"] == settings.NOTIFICATIONS_PRIORITY_QUEUE
    assert settings.NOTIFICATIONS_PRIORITY_QUEUE != settings.NOTIFICATIONS_QUEUE


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
    code = emailed_code()
    response = client.post(reverse("claims:signin_code", args=[program.slug]), {"code": code})
    assert response.status_code == 302
    assert "claims_drafts" not in client.session
    assert client.session["claims_contact_email"] == "jisoo@example.com"
