import pytest
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim
from compensation.models import Program
from notifications.models import Notice
from tests.claims.conftest import claimant_session, pdf
from tests.claims.outbox import emailed_code
from tests.factories import AwardLineFactory, ProgramFactory

pytestmark = pytest.mark.django_db


def test_home_lists_open_programs_but_never_drafts(client):
    ProgramFactory.create(name="Open program")
    ProgramFactory.create(name="Secret draft", status=Program.Status.DRAFT)
    response = client.get(reverse("claims:home"))
    assert response.status_code == 200
    assert "Open program" in response.text
    assert "Secret draft" not in response.text


def test_program_page_explains_what_people_get_how_to_claim_and_deadlines(
    client, program, documented
):
    AwardLineFactory.create(program=program, amount_minor=20_000, service_scope="travel")
    response = client.get(reverse("claims:program", args=[program.slug]), HTTP_ACCEPT_LANGUAGE="en")
    text = response.text
    assert "20,000" in text
    assert "Travel" in text  # the service by its name (issue 14), not its code
    assert "Documented loss" in text
    assert "Receipt or bank statement" in text
    assert "Claims close on" in text
    assert "Start a claim" in text


def test_program_page_speaks_korean_and_chinese(client, program, documented):
    AwardLineFactory.create(program=program, amount_minor=5_000)
    url = reverse("claims:program", args=[program.slug])
    korean = client.get(url, HTTP_ACCEPT_LANGUAGE="ko").text
    assert "청구 시작" in korean
    assert "1회용 상품권" in korean
    assert "1,000명" in korean
    assert "开始申请" in client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").text


def test_draft_program_page_is_not_found(client):
    draft = ProgramFactory.create(status=Program.Status.DRAFT)
    assert client.get(reverse("claims:program", args=[draft.slug])).status_code == 404


def test_filing_needs_a_signed_in_claimant(client, program):
    response = client.get(reverse("claims:start", args=[program.slug]))
    assert response.status_code == 302
    assert "/sign-in/" in response["Location"]


def test_full_filing_from_sign_in_to_acknowledgement_and_a_double_submit_makes_one_claim(
    client, program, documented, person
):
    start = reverse("claims:start", args=[program.slug])
    client.post(
        reverse("claims:signin", args=[program.slug]) + f"?next={start}",
        {"email": person.email, "next": start},
    )
    code = emailed_code()  # the priority lane's worker sends the queued code
    response = client.post(
        reverse("claims:signin_code", args=[program.slug]), {"code": code, "next": start}
    )
    assert response["Location"] == start
    assert "documented-loss" in client.get(start).text
    details = reverse("claims:details", args=[program.slug, documented.code])
    response = client.post(details, {"amount": "45000", "doc_receipt": pdf()})
    assert response.status_code == 302
    review_url = response["Location"]
    summary = client.get(review_url)
    assert "45,000" in summary.text
    assert "receipt.pdf" in summary.text
    first = client.post(review_url)
    second = client.post(review_url)  # the double click
    assert first["Location"] == second["Location"]
    assert Claim.objects.count() == 1
    claim = Claim.objects.get()
    page = client.get(first["Location"])
    assert claim.reference in page.text
    assert Notice.objects.filter(kind="claim_acknowledged", to_address=person.email).exists()


def test_off_list_person_sees_only_routes_open_to_everyone(client, program, documented, good_faith):
    claimant_session(client, person=None, email="buyer@example.com")
    text = client.get(reverse("claims:start", args=[program.slug])).text
    assert good_faith.code in text
    assert documented.code not in text
    url = reverse("claims:details", args=[program.slug, documented.code])
    assert client.get(url).status_code == 404


def test_a_lying_upload_is_refused_on_the_form(client, program, documented, person):
    from django.core.files.uploadedfile import SimpleUploadedFile

    claimant_session(client, person=person, email=person.email)
    details = reverse("claims:details", args=[program.slug, documented.code])
    fake = SimpleUploadedFile(
        "receipt.pdf", b"<html>not a pdf</html>", content_type="application/pdf"
    )
    response = client.post(details, {"amount": "45000", "doc_receipt": fake})
    assert response.status_code == 200
    assert "not a PDF, JPEG or PNG" in response.text


def test_verify_page_says_yes_only_for_a_notice_we_sent(client, program, documented, claimant):
    from tests.claims.helpers import file_claim

    file_claim(program=program, claim_type=documented, claimant=claimant)
    notice = Notice.objects.filter(kind="claim_acknowledged").get()
    url = reverse("claims:verify")
    # Still pending and never tried: nobody can have received it.
    assert "did not send" in client.post(url, {"reference": notice.reference}).text
    Notice.objects.filter(pk=notice.pk).update(status="sent", attempts=1, sent_at=timezone.now())
    assert "we sent a notice" in client.post(url, {"reference": notice.reference}).text
    assert "did not send" in client.post(url, {"reference": "ABCD-EFGH-JKMN-PQRS"}).text


def test_status_page_opens_the_one_thing_to_fix(client, program, documented, claimant, person):
    from claims.services import claim_request_info
    from tests.claims.helpers import file_claim
    from tests.factories import UserFactory

    claim, _ = file_claim(program=program, claim_type=documented, claimant=claimant, documents=())
    claim_request_info(
        claim=claim,
        message="Please send the receipt for the taxi.",
        document_kind="receipt",
        actor=UserFactory.create(role="Support agent"),
    )
    claimant_session(client, person=person, email=person.email)
    status_url = reverse("claims:status", args=[program.slug, claim.reference])
    assert "receipt for the taxi" in client.get(status_url).text
    response = client.post(
        reverse("claims:answer", args=[program.slug, claim.reference]),
        {"answer": "Here it is.", "document": pdf()},
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == Claim.Status.IN_REVIEW
