"""Limits a person cannot run around: the files a claimant's unsubmitted drafts hold, however
many times the form is posted and from however many sessions, and the size of a request body,
refused before it is read."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import Client
from django.urls import reverse

from claims.errors import ClaimError
from claims.models import ClaimDocument
from claims.services import claim_document_add
from demo.documents import PDF
from tests.claims.conftest import claimant_session
from tests.claims.helpers import file_claim
from tests.config.test_gunicorn import gunicorn_port  # noqa: F401 (the real server, a fixture)

MiB = 1024 * 1024


def _scan(n: int) -> SimpleUploadedFile:
    # A distinct, valid PDF of about 100 KB (bytes after %%EOF are kept as they came).
    return SimpleUploadedFile(
        f"scan-{n}.pdf", PDF + bytes([n]) * 100_000, content_type="application/pdf"
    )


def _stored_files(settings) -> list:
    root = settings.MEDIA_ROOT / "claims"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.django_db
def test_fifteen_posts_of_the_details_form_keep_one_draft(
    client, program, documented, person, settings, django_capture_on_commit_callbacks
):
    claimant_session(client, person=person, email=person.email)
    url = reverse("claims:details", args=[program.slug, documented.code])
    reviews = set()
    for n in range(15):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                url, {"amount": "1000", "doc_receipt": _scan(n), "doc_other": _scan(100 + n)}
            )
        assert response.status_code == 302
        reviews.add(response["Location"])
    assert len(reviews) == 1  # the same draft every time
    documents = ClaimDocument.objects.all()
    # The last post's two files replaced the earlier ones, rows and stored files.
    assert sorted(documents.values_list("original_name", flat=True)) == [
        "scan-114.pdf",
        "scan-14.pdf",
    ]
    assert len(_stored_files(settings)) == 2
    review = client.get(reviews.pop())
    assert review.status_code == 200
    assert "scan-14.pdf" in review.content.decode()
    assert "scan-13.pdf" not in review.content.decode()


@pytest.mark.django_db
def test_fifteen_sessions_cannot_store_more_than_the_claimants_budget(
    program, documented, person, settings
):
    settings.CLAIMS_DRAFT_BYTES_PER_CLAIMANT = 5 * 100_500
    url = reverse("claims:details", args=[program.slug, documented.code])
    refusals = 0
    for n in range(15):
        client = claimant_session(Client(), person=person, email=person.email)  # a new session
        response = client.post(url, {"amount": "1000", "doc_receipt": _scan(n)})
        if response.status_code == 200:
            refusals += 1
            assert "as many files as we keep" in response.content.decode()
    stored = sum(ClaimDocument.objects.values_list("size_bytes", flat=True))
    assert ClaimDocument.objects.count() == 5
    assert refusals == 10
    assert stored <= settings.CLAIMS_DRAFT_BYTES_PER_CLAIMANT
    assert len(_stored_files(settings)) == 5


@pytest.mark.django_db
def test_the_file_budget_counts_unsubmitted_drafts_only(program, documented, claimant, settings):
    settings.CLAIMS_DRAFT_FILES_PER_CLAIMANT = 2
    file_claim(program=program, claim_type=documented, claimant=claimant, key="sent")
    for n in range(2):
        claim_document_add(claimant=claimant, draft_key=f"d{n}", kind="receipt", upload=_scan(n))
    with pytest.raises(ClaimError) as exc:
        claim_document_add(claimant=claimant, draft_key="d9", kind="receipt", upload=_scan(9))
    assert exc.value.code == "draft_budget"
    assert ClaimDocument.objects.filter(claim__isnull=True).count() == 2
    assert len(_stored_files(settings)) == 3  # the submitted claim's and the two drafts'


@pytest.mark.django_db(transaction=True)
def test_parallel_uploads_cannot_share_out_more_than_the_budget(claimant, settings):
    settings.CLAIMS_DRAFT_FILES_PER_CLAIMANT = 3
    start = threading.Barrier(8)
    codes: list[str] = []

    def upload(n: int) -> None:
        try:
            start.wait()
            claim_document_add(
                claimant=claimant, draft_key=f"tab-{n}", kind="receipt", upload=_scan(n)
            )
            codes.append("stored")
        except ClaimError as exc:
            codes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == ["draft_budget"] * 5 + ["stored"] * 3
    assert ClaimDocument.objects.count() == 3
    assert len(_stored_files(settings)) == 3


# --- The request body ---------------------------------------------------------------------------


class _CountingBody:
    """wsgi.input of a large multipart upload, made as it is read; counts what was read."""

    def __init__(self, boundary: bytes, size: int):
        self.head = (
            b"--" + boundary + b'\r\nContent-Disposition: form-data; name="doc_receipt"; '
            b'filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7\n'
        )
        self.tail = b"\r\n--" + boundary + b"--\r\n"
        self.size = size
        self.read_bytes = 0

    def _at(self, position: int) -> bytes:
        if position < len(self.head):
            return self.head[position : position + 1]
        if position >= self.size - len(self.tail):
            return self.tail[position - (self.size - len(self.tail)) :][:1]
        return b"0"

    def read(self, n: int | None = -1) -> bytes:
        left = self.size - self.read_bytes
        n = left if n is None or n < 0 else min(n, left)
        start = self.read_bytes
        if len(self.head) <= start and start + n <= self.size - len(self.tail):
            out = b"0" * n  # the bulk of the file, without a Python loop
        else:
            out = b"".join(self._at(p) for p in range(start, start + n))
        self.read_bytes += len(out)
        return out

    def readline(self, n: int | None = -1) -> bytes:
        return self.read(n if n and n > 0 else 65536)


def _post(path: str, body: _CountingBody, boundary: bytes, **extra: str):
    status: list[str] = []
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": "multipart/form-data; boundary=" + boundary.decode(),
        "CONTENT_LENGTH": str(body.size),
        # A CSRF cookie: without one the CSRF check refuses before reading the body.
        "HTTP_COOKIE": "csrftoken=" + "a" * 32,
        "HTTP_X_CSRFTOKEN": "b" * 32,
        "wsgi.input": body,
        "wsgi.errors": BytesIO(),
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        **extra,
    }

    def start_response(
        status_line: str, headers: list[tuple[str, str]], exc_info: object = None
    ) -> Callable[[bytes], object]:
        status.append(status_line)
        return lambda data: None

    response = WSGIHandler()(environ, start_response)
    content = b"".join(response)
    response.close()
    return int(status[0].split()[0]), content


@pytest.mark.django_db
def test_a_50_mb_upload_is_refused_before_its_body_is_read(program, documented):
    boundary = b"----uploadlimit"
    body = _CountingBody(boundary, 50 * 1000 * 1000)
    path = reverse("claims:details", args=[program.slug, documented.code])
    status, content = _post(path, body, boundary)
    assert body.read_bytes == 0
    assert status == 413
    assert b"32 MB" in content


@pytest.mark.django_db
def test_the_api_refuses_a_large_body_with_a_problem(program):
    boundary = b"----uploadlimit"
    body = _CountingBody(boundary, 40 * MiB)
    status, content = _post(reverse("vouchers_api:redeem"), body, boundary)
    assert status == 413
    assert b"request_too_large" in content
    assert body.read_bytes == 0


@pytest.mark.django_db
def test_the_population_upload_keeps_its_own_larger_limit(settings):
    boundary = b"----uploadlimit"
    body = _CountingBody(boundary, 50 * 1000 * 1000)
    # No CSRF cookie: refused (403) before the body is read, but not for its size.
    status, _content = _post(
        reverse("admin:compensation_populationimport_add"), body, boundary, HTTP_COOKIE=""
    )
    assert status == 403
    assert body.read_bytes == 0


def test_the_real_gunicorn_answers_413_before_the_body_is_sent(gunicorn_port):  # noqa: F811
    """Headers declaring 50 MB and five bytes of body: the refusal arrives while the client has
    sent almost nothing (it would otherwise wait for the rest, here for ever)."""
    with socket.create_connection(("127.0.0.1", gunicorn_port), timeout=20) as sock:
        sock.sendall(
            b"POST /admin/login/ HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 50000000\r\n"
            b"Cookie: csrftoken=" + b"a" * 32 + b"\r\n\r\n--x\r\n"
        )
        answer = sock.recv(64)
    assert answer.startswith(b"HTTP/1.1 413 ")
