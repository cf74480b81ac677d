import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from claims.errors import ClaimError
from claims.models import ClaimDocument
from claims.services import claim_document_add
from claims.storage import document_open
from compensation.claimant_session import Claimant
from compensation.hashing import email_hash
from demo.documents import PNG
from tests.claims.conftest import claimant_session
from tests.claims.helpers import file_claim
from tests.factories import ClaimantPersonFactory

pytestmark = pytest.mark.django_db


def test_a_file_that_lies_about_its_type_is_refused_and_nothing_is_stored(claimant, settings):
    fake = SimpleUploadedFile(
        "receipt.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
    )
    with pytest.raises(ClaimError) as exc:
        claim_document_add(claimant=claimant, draft_key="d", kind="receipt", upload=fake)
    assert exc.value.code == "file_type_refused"
    assert ClaimDocument.objects.count() == 0
    root = settings.MEDIA_ROOT / "claims"
    assert not root.exists() or not any(p.is_file() for p in root.rglob("*"))


def test_a_png_named_pdf_is_stored_as_what_it_is(claimant, settings):
    upload = SimpleUploadedFile("receipt.pdf", PNG, content_type="application/pdf")
    doc = claim_document_add(claimant=claimant, draft_key="d", kind="receipt", upload=upload)
    assert doc.content_type == "image/png"
    assert doc.storage_name.endswith(".png")
    assert "receipt" not in doc.storage_name
    assert len(doc.sha256) == 64
    stored_file = document_open(doc.storage_name)
    assert stored_file is not None
    with stored_file as stored:
        assert stored.read() == PNG
    # On disk below MEDIA_ROOT/claims/ by default, readable by the owner only.
    (path,) = (settings.MEDIA_ROOT / "claims").rglob(doc.storage_name)
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_file_over_the_limit_is_refused(claimant, settings):
    settings.CLAIMS_UPLOAD_MAX_BYTES = 100
    upload = SimpleUploadedFile("big.png", PNG + b"\x00" * 200, content_type="image/png")
    with pytest.raises(ClaimError) as exc:
        claim_document_add(claimant=claimant, draft_key="d", kind="receipt", upload=upload)
    assert exc.value.code == "file_too_large"


def test_owner_downloads_as_attachment_and_another_claimant_gets_404(
    client, program, documented, claimant, person
):
    claim, _ = file_claim(program=program, claim_type=documented, claimant=claimant)
    doc = claim.documents.get()
    url = reverse("claims:document", args=[program.slug, claim.reference, doc.pk])
    status_url = reverse("claims:status", args=[program.slug, claim.reference])
    assert client.get(url).status_code == 404  # nobody signed in

    claimant_session(client, person=person, email=person.email)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client.get(status_url).status_code == 200

    other = ClaimantPersonFactory(program=program, email="other@example.com")
    claimant_session(client, person=other, email=other.email)
    assert client.get(url).status_code == 404
    assert client.get(status_url).status_code == 404
    api = reverse("claims-api:my-claim", args=[claim.reference])
    assert client.get(api).status_code == 404


def test_staff_see_a_document_inline_and_sandboxed(staff_client, program, documented, claimant):
    claim, _ = file_claim(program=program, claim_type=documented, claimant=claimant)
    # Inline is for re-encoded images only (a PDF is always downloaded: test_uploads.py).
    doc = claim_document_add(
        claimant=claimant,
        draft_key=claim.idempotency_key,
        kind="other",
        upload=SimpleUploadedFile("photo.png", PNG, content_type="image/png"),
        purpose=ClaimDocument.Purpose.INFO,
        claim=claim,
    )
    client = staff_client("Support agent")
    url = reverse("claims:document", args=[program.slug, claim.reference, doc.pk])
    response = client.get(url + "?inline=1")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline")
    assert "sandbox" in response["Content-Security-Policy"]


def test_documents_reach_only_their_own_draft(claimant):
    stranger = Claimant(person=None, email_hash=email_hash("x@example.com"))
    claim_document_add(
        claimant=stranger,
        draft_key="shared",
        kind="receipt",
        upload=SimpleUploadedFile("a.png", PNG, content_type="image/png"),
    )
    # Another claimant using the same draft key does not pick the stranger's file up.
    assert (
        ClaimDocument.objects.filter(
            draft_key="shared", owner_email_hash=claimant.email_hash
        ).count()
        == 0
    )


def test_a_refused_second_file_leaves_no_file_of_the_first_behind(
    client, program, documented, person, settings
):
    from claims.models import ClaimDocument
    from tests.claims.conftest import pdf

    claimant_session(client, person=person, email=person.email)
    url = reverse("claims:details", args=[program.slug, documented.code])
    liar = SimpleUploadedFile("other.png", b"GIF89a not allowed", content_type="image/png")
    response = client.post(url, {"amount": "1000", "doc_receipt": pdf(), "doc_other": liar})
    assert response.status_code == 200
    assert ClaimDocument.objects.count() == 0
    root = settings.MEDIA_ROOT / "claims"
    assert not root.exists() or not any(p.is_file() for p in root.rglob("*"))
