"""Uploads are parsed, not sniffed: attack files built here (a PDF/HTML polyglot, a PNG with an
HTML tail, a 1 GiB Flate bomb, a PNG claiming 30000x30000 pixels, PDFs that run scripts or
carry files) are refused or defused, good JPEG/PNG/PDF files still pass, and the staff case page
shows only re-encoded images inline."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from claims.errors import ClaimError
from claims.models import ClaimDocument
from claims.services import claim_document_add
from claims.storage import document_open
from demo.documents import PNG
from tests.claims.conftest import claimant_session, pdf
from tests.claims.helpers import file_claim

pytestmark = pytest.mark.django_db

MiB = 1024 * 1024


# --- Files ---------------------------------------------------------------------------------------


def pdf_bytes(*extra: bytes, catalog: bytes = b"", content: bytes | None = None) -> bytes:
    """A one-page PDF with a correct cross-reference table. `extra` objects are numbered from 5;
    `catalog` goes into the catalog's dictionary; `content` is the page's (raw) stream
    dictionary and data, e.g. b"<< /Length 3 >>\\nstream\\nabc\\nendstream"."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>",
        b"<< /Type /Pages /Count 1 /Kids [ 3 0 R ] >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [ 0 0 612 792 ] /Contents 4 0 R >>",
        content or b"<< /Length 0 >>\nstream\n\nendstream",
        *extra,
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def flate_stream(data: bytes) -> bytes:
    compressed = zlib.compress(data)
    return (
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(compressed)
        + compressed
        + b"\nendstream"
    )


def gigabyte_of_zeros_deflated() -> bytes:
    """A valid zlib stream that inflates to 1 GiB of zeros, about 1 MB compressed, made in half
    a second: one 16 MiB block after a full flush refers to nothing before it, so it repeats."""
    chunk = bytes(16 * MiB)
    compressor = zlib.compressobj(9)
    first = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush()[:-4]  # the final empty block, without the checksum of 32 MiB
    checksum = 1
    for _ in range(64):
        checksum = zlib.adler32(chunk, checksum)
    return first + block * 63 + end + checksum.to_bytes(4, "big")


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header (valid CRC) claims width x height, with a few bytes of image data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def jpeg_with_metadata() -> bytes:
    image = Image.new("RGB", (64, 48), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (37.0, 33.0, 0.0)}  # GPS latitude: where the photo was taken
    exif[0x0112] = 6  # Orientation: rotate 90 degrees to show upright
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif, comment=b"taken at home")
    return out.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def add(claimant, name: str, content: bytes, content_type: str = "application/pdf"):
    return claim_document_add(
        claimant=claimant, draft_key="d", kind="receipt", upload=upload(name, content, content_type)
    )


def refused(claimant, name: str, content: bytes) -> ClaimError:
    with pytest.raises(ClaimError) as exc:
        add(claimant, name, content)
    assert ClaimDocument.objects.count() == 0
    return exc.value


def stored_bytes(document: ClaimDocument) -> bytes:
    stored = document_open(document.storage_name)
    assert stored is not None
    with stored:
        return stored.read()


def nothing_on_disk(settings) -> bool:
    root = settings.MEDIA_ROOT / "claims"
    return not root.exists() or not any(p.is_file() for p in root.rglob("*"))


# --- Refused -------------------------------------------------------------------------------------


def test_a_pdf_html_polyglot_is_refused_naming_the_file(claimant, settings):
    polyglot = pdf_bytes().replace(
        b"%\xe2\xe3\xcf\xd3\n", b"%<html><body><script>alert(document.domain)</script>\n", 1
    )
    error = refused(claimant, "statement.pdf", polyglot)
    assert error.code == "pdf_markup"
    assert "statement.pdf" in str(error.message)
    assert "web page code" in str(error.message)
    assert nothing_on_disk(settings)


def test_markup_before_the_pdf_header_is_refused(claimant):
    error = refused(claimant, "x.pdf", b"<!DOCTYPE html><svg onload=alert(1)>\n" + pdf_bytes())
    assert error.code == "file_type_refused"


def test_a_pdf_that_does_not_parse_is_refused(claimant):
    # What filetype took for a PDF: the magic bytes and nothing a reader can use.
    error = refused(claimant, "broken.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    assert error.code == "file_unreadable"
    assert "broken.pdf" in str(error.message)


@pytest.mark.parametrize(
    ("extra", "catalog"),
    [
        # A script run on opening.
        ((b"<< /S /JavaScript /JS (app.alert(1)) >>",), b"/OpenAction 5 0 R"),
        # A document-level script, its name written with a #-escape.
        (
            (b"<< /Names [ (a) 6 0 R ] >>", b"<< /S /J#61vaScript /JS (1) >>"),
            b"/Names << /JavaScript 5 0 R >>",
        ),
        # A program launched from a link.
        (
            (
                b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9]"
                b" /A << /S /Launch /F (cmd.exe) >> >>",
            ),
            b"",
        ),
        # An attached file.
        (
            (
                b"<< /Names [ (x.exe) << /Type /Filespec /F (x.exe) /EF << /F 6 0 R >> >> ] >>",
                b"<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream",
            ),
            b"/Names << /EmbeddedFiles 5 0 R >>",
        ),
        # Actions on a page event.
        ((), b"/AA << /WC << /S /GoTo /D [ 3 0 R /Fit ] >> >>"),
    ],
    ids=["open-action-script", "named-script", "launch", "embedded-file", "additional-actions"],
)
def test_a_pdf_with_scripts_actions_or_attachments_is_refused(claimant, extra, catalog):
    error = refused(claimant, "active.pdf", pdf_bytes(*extra, catalog=catalog))
    assert error.code == "pdf_active_content"
    assert "active.pdf" in str(error.message)


def test_a_gigabyte_flate_bomb_is_refused_with_little_memory(claimant, settings):
    bomb = gigabyte_of_zeros_deflated()
    content = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(bomb) + bomb + b"\nendstream"
    document = pdf_bytes(content=content)
    assert len(document) < 2 * MiB
    tracemalloc.start()
    try:
        error = refused(claimant, "bomb.pdf", document)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.code == "pdf_too_large"
    assert "bomb.pdf" in str(error.message)
    # The file itself is held a few times over; nothing near the 1 GiB (or the 64 MiB cap).
    assert peak < 16 * MiB
    assert nothing_on_disk(settings)


def test_the_inflated_total_of_a_pdf_is_capped_too(claimant, settings):
    settings.CLAIMS_PDF_MAX_STREAM_BYTES = 4 * MiB
    settings.CLAIMS_PDF_MAX_DECODED_BYTES = 6 * MiB
    three_mib = flate_stream(bytes(3 * MiB))
    fits = pdf_bytes(content=three_mib)
    assert add(claimant, "fits.pdf", fits).content_type == "application/pdf"
    ClaimDocument.objects.all().delete()
    error = refused(claimant, "many.pdf", pdf_bytes(three_mib, three_mib, content=three_mib))
    assert error.code == "pdf_too_large"


def test_a_png_claiming_30000_by_30000_pixels_is_refused_before_decoding(claimant, settings):
    tracemalloc.start()
    try:
        error = refused(claimant, "scan.png", png_claiming(30_000, 30_000))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.code == "image_too_large"
    assert "scan.png" in str(error.message)
    assert peak < 8 * MiB
    assert nothing_on_disk(settings)


def test_an_image_over_the_pixel_setting_is_refused(claimant, settings):
    settings.CLAIMS_IMAGE_MAX_PIXELS = 1_000_000
    # Under Pillow's own bomb threshold: the setting alone refuses it.
    assert refused(claimant, "big.png", png_claiming(2000, 1000)).code == "image_too_large"


def test_a_damaged_image_is_refused(claimant):
    truncated = jpeg_with_metadata()[:300]
    assert refused(claimant, "photo.jpg", truncated).code == "file_unreadable"


def test_the_refusal_is_in_the_claimants_language(claimant):
    with translation.override("ko"):
        error = refused(claimant, "영수증.pdf", b"%PDF-1.4 <html><script>1</script>")
        assert "“영수증.pdf”" in str(error.message)
        assert "웹 페이지 코드" in str(error.message)
    with translation.override("zh-hans"):
        error = refused(claimant, "收据.png", png_claiming(30_000, 30_000))
        assert "“收据.png”" in str(error.message)
        assert "百万像素" in str(error.message)


def test_the_details_page_names_the_refused_file_and_stores_nothing(
    client, program, documented, person, settings
):
    claimant_session(client, person=person, email=person.email)
    url = reverse("claims:details", args=[program.slug, documented.code])
    polyglot = upload("bank.pdf", b"%PDF-1.7\n<html><script>alert(1)</script>" + pdf_bytes()[9:])
    response = client.post(url, {"amount": "1000", "doc_receipt": polyglot})
    assert response.status_code == 200
    assert "“bank.pdf” contains web page code" in response.content.decode()
    assert ClaimDocument.objects.count() == 0
    assert nothing_on_disk(settings)


# --- Defused and accepted ------------------------------------------------------------------------


def test_a_png_followed_by_html_is_stored_without_the_tail(claimant):
    tail = b"<html><script>alert(document.cookie)</script></html>"
    doc = add(claimant, "receipt.png", PNG + tail, "image/png")
    assert doc.content_type == "image/png"
    assert doc.reencoded
    content = stored_bytes(doc)
    assert b"<html" not in content
    assert b"script" not in content
    assert content == PNG  # the pixels, re-encoded: what Pillow writes for them
    assert doc.size_bytes == len(PNG)


def test_a_jpeg_is_re_encoded_upright_without_exif_or_comment(claimant):
    original = jpeg_with_metadata()
    doc = add(claimant, "photo.jpg", original + b"<html>tail</html>", "image/jpeg")
    assert doc.content_type == "image/jpeg"
    assert doc.storage_name.endswith(".jpg")
    content = stored_bytes(doc)
    assert b"PhoneMaker" not in content
    assert b"taken at home" not in content
    assert b"Exif" not in content
    assert b"<html" not in content
    with Image.open(io.BytesIO(content)) as image:
        assert image.format == "JPEG"
        assert image.size == (48, 64)  # the orientation tag applied to the pixels
        assert not image.getexif()


def test_good_files_still_pass(claimant):
    png = add(claimant, "a.png", PNG, "image/png")
    jpeg = add(claimant, "b.jpg", jpeg_with_metadata(), "image/jpeg")
    plain = claim_document_add(claimant=claimant, draft_key="d", kind="receipt", upload=pdf())
    # A real-world shape: compressed page content, an opening view (a destination, no action)
    # and a web link.
    text = b"BT /F1 12 Tf 72 720 Td (Receipt 1234) Tj ET\n" * 200
    rich = pdf_bytes(
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI (https://x.test) >> >>",
        catalog=b"/OpenAction [ 3 0 R /Fit ]",
        content=flate_stream(text),
    )
    compressed = add(claimant, "c.pdf", rich)
    assert [d.content_type for d in (png, jpeg, plain, compressed)] == [
        "image/png",
        "image/jpeg",
        "application/pdf",
        "application/pdf",
    ]
    assert [d.reencoded for d in (png, jpeg, plain, compressed)] == [True, True, False, False]
    assert stored_bytes(compressed) == rich  # a PDF is stored as it came


# --- Shown to staff ------------------------------------------------------------------------------


def _claim_with_png(program, documented, claimant):
    claim, _ = file_claim(program=program, claim_type=documented, claimant=claimant)
    image = claim_document_add(
        claimant=claimant,
        draft_key=claim.idempotency_key,
        kind="other",
        upload=upload("photo.png", PNG, "image/png"),
        purpose=ClaimDocument.Purpose.INFO,
        claim=claim,
    )
    return claim, claim.documents.get(content_type="application/pdf"), image


def test_a_pdf_is_downloaded_even_when_staff_ask_for_it_inline(
    staff_client, program, documented, claimant
):
    claim, document, _image = _claim_with_png(program, documented, claimant)
    client = staff_client("Support agent")
    url = reverse("claims:document", args=[program.slug, claim.reference, document.pk])
    response = client.get(url + "?inline=1")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_re_encoded_image_is_inline_as_its_type_under_a_strict_csp(
    staff_client, program, documented, claimant
):
    claim, _document, image = _claim_with_png(program, documented, claimant)
    client = staff_client("Support agent")
    url = reverse("claims:document", args=[program.slug, claim.reference, image.pk])
    response = client.get(url + "?inline=1")
    assert response["Content-Disposition"].startswith("inline")
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = response["Content-Security-Policy"]
    assert "sandbox" in policy
    assert "default-src 'none'" in policy
    assert "script-src" not in policy
    assert "frame-ancestors 'none'" in policy


def test_an_image_stored_before_re_encoding_is_only_downloaded(
    staff_client, program, documented, claimant
):
    claim, _document, image = _claim_with_png(program, documented, claimant)
    ClaimDocument.objects.filter(pk=image.pk).update(reencoded=False)  # as stored until now
    client = staff_client("Support agent")
    url = reverse("claims:document", args=[program.slug, claim.reference, image.pk])
    assert client.get(url + "?inline=1")["Content-Disposition"].startswith("attachment")


def test_the_case_page_shows_only_re_encoded_images_inline(
    staff_client, program, documented, claimant
):
    claim, document, image = _claim_with_png(program, documented, claimant)
    client = staff_client("Support agent")
    page = client.get(reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()
    pdf_url = reverse("claims:document", args=[program.slug, claim.reference, document.pk])
    image_url = reverse("claims:document", args=[program.slug, claim.reference, image.pk])
    assert f'<img src="{image_url}?inline=1"' in page
    assert f"{pdf_url}?inline=1" not in page
    assert f'href="{pdf_url}"' in page
