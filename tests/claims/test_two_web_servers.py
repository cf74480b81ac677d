"""Two real web servers (gunicorn with the repository's gunicorn.conf.py), each in a working
directory of its own, sharing only the database and the document store (MEDIA_ROOT here; an
object store in production): a document a claimant uploads through one is served by the
other, as it would be by two web hosts behind one proxy."""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.urls import reverse

from claims.models import Claim, ClaimDocument
from claims.services import claim_request_info
from compensation.hashing import email_hash
from demo.documents import PDF
from tests.claims.conftest import claimant_session
from tests.claims.helpers import file_claim
from tests.factories import UserFactory
from tests.support import process_stop, test_database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_start(*, cwd: Path, media_root: Path) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "MEDIA_ROOT": str(media_root),
        "DEBUG": "1",  # static files without a collectstatic manifest; nothing else depends on it
        "PYTHONPATH": str(ROOT),
    }
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py")),
            *("--bind", f"127.0.0.1:{port}", "--workers", "1", "config.wsgi"),
        ],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 90
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return server, port
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                process_stop(server)
                assert server.stderr is not None  # stderr=PIPE
                raise RuntimeError(server.stderr.read().decode()[-2000:]) from None
            time.sleep(0.2)


@pytest.fixture
def two_servers(settings, tmp_path) -> Iterator[tuple[int, int, Path, Path]]:
    """Ports of web servers A and B and their working directories; both store documents in
    this test's MEDIA_ROOT (tests/claims/conftest.py), the shared store."""
    started = []
    try:
        for name in ("web-a", "web-b"):
            cwd = tmp_path / name
            cwd.mkdir()
            server, port = _server_start(cwd=cwd, media_root=settings.MEDIA_ROOT)
            started.append((server, port, cwd))
        yield started[0][1], started[1][1], started[0][2], started[1][2]
    finally:
        for server, _, _ in started:
            process_stop(server)


def _session_key(person, email: str) -> str:
    """A claimant's session in the shared database, as the sign-in code check leaves it."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["claimant_person_id"] = person.pk
    digest = email_hash(email)
    assert digest is not None
    store["claimant_email_hash"] = digest.hex()
    store["claims_contact_email"] = email
    store.save()
    assert store.session_key is not None
    return store.session_key


def _request(port: int, method: str, path: str, *, cookies: dict, body=b"", headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    cookie = "; ".join(f"{key}={value}" for key, value in cookies.items())
    connection.request(method, path, body=body, headers={"Cookie": cookie, **(headers or {})})
    response = connection.getresponse()
    content = response.read()
    connection.close()
    return response, content


def _multipart(fields: dict[str, str], files: dict[str, tuple[str, str, bytes]]):
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, (filename, content_type, content) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _waiting_for_a_document(program, documented, claimant) -> Claim:
    claim, _ = file_claim(program=program, claim_type=documented, claimant=claimant, documents=())
    agent = UserFactory.create()
    agent.user_permissions.add(
        Permission.objects.get(content_type__app_label="claims", codename="change_claim")
    )
    return claim_request_info(
        claim=claim, message="The receipt, please.", document_kind="receipt", actor=agent
    )


def test_a_document_uploaded_through_one_web_server_is_served_by_the_other(
    two_servers, program, documented, claimant, person, settings, client
):
    port_a, port_b, cwd_a, cwd_b = two_servers
    claim = _waiting_for_a_document(program, documented, claimant)
    cookies = {"sessionid": _session_key(person, person.email)}
    answer_url = reverse("claims:answer", args=[program.slug, claim.reference])

    # Upload through A: its form, its CSRF cookie, a PDF.
    page, html = _request(port_a, "GET", answer_url, cookies=cookies)
    assert page.status == 200, html[:500]
    csrf_cookie = re.search(r"csrftoken=([^;]+)", page.getheader("Set-Cookie") or "")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert csrf_cookie
    assert token
    cookies["csrftoken"] = csrf_cookie.group(1)
    uploaded = PDF + os.urandom(16)
    body, content_type = _multipart(
        {"csrfmiddlewaretoken": token.group(1).decode(), "answer": "Here it is."},
        {"document": ("taxi.pdf", "application/pdf", uploaded)},
    )
    posted, text = _request(
        port_a, "POST", answer_url, cookies=cookies, body=body,
        headers={"Content-Type": content_type},
    )  # fmt: skip
    assert posted.status == 302, text[:500]
    doc = ClaimDocument.objects.get(claim=claim)

    # Served by B, which never saw the upload.
    document_url = reverse("claims:document", args=[program.slug, claim.reference, doc.pk])
    served, content = _request(
        port_b, "GET", document_url, cookies={"sessionid": cookies["sessionid"]}
    )
    assert served.status == 200
    assert hashlib.sha256(content).hexdigest() == doc.sha256
    assert served.getheader("Content-Type") == "application/pdf"
    # Nothing landed in either server's working directory: the store is the only place.
    assert not any(cwd_a.iterdir())
    assert not any(cwd_b.iterdir())
    assert list(settings.MEDIA_ROOT.rglob(doc.storage_name))

    # The control: a web process with a store of its own (one machine's local folder) does
    # not have the document, and says 404 rather than serve something else.
    settings.MEDIA_ROOT = settings.MEDIA_ROOT.parent / "another-machine"
    claimant_session(client, person=person, email=person.email)
    assert client.get(document_url).status_code == 404
