"""Claim documents go through the STORAGES["claim_documents"] backend only, so that a document
one web process stored is served by any other one reaching the same store."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from claims.models import ClaimDocument
from claims.storage import document_open
from demo.documents import PNG
from tests.claims.conftest import claimant_session
from tests.claims.helpers import file_claim

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

# Another web process: same settings, its own working directory, stores one upload.
_OTHER_PROCESS = """
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from claims.storage import document_store
stored = document_store(SimpleUploadedFile("scan.png", PNG, content_type="image/png"))
print(stored.storage_name, stored.sha256, stored.size_bytes)
"""


def _store_in_another_process(media_root: Path, cwd: Path) -> list[str]:
    env = {
        key: os.environ[key]
        for key in ("PATH", "HOME", "LANG", "DATABASE_URL", "REDIS_URL")
        if key in os.environ
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(ROOT),
        "DEBUG": "1",
        "MEDIA_ROOT": str(media_root),
    }
    result = subprocess.run(
        [sys.executable, "-c", f"PNG = {PNG!r}\n{_OTHER_PROCESS}"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_a_document_stored_by_one_process_is_served_by_another(
    client, program, documented, claimant, person, settings, tmp_path
):
    claim, _ = file_claim(program=program, claim_type=documented, claimant=claimant)
    doc = claim.documents.get()
    elsewhere = tmp_path / "other-process-cwd"
    elsewhere.mkdir()

    storage_name, sha256, size = _store_in_another_process(settings.MEDIA_ROOT, elsewhere)
    ClaimDocument.objects.filter(pk=doc.pk).update(
        storage_name=storage_name, sha256=sha256, size_bytes=int(size), content_type="image/png"
    )

    claimant_session(client, person=person, email=person.email)
    response = client.get(reverse("claims:document", args=[program.slug, claim.reference, doc.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert not any(elsewhere.iterdir())  # nothing landed in the other process's folder


def test_another_backend_is_used_by_settings_alone(
    client, program, documented, claimant, person, settings
):
    settings.STORAGES = {
        **settings.STORAGES,
        "claim_documents": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    claim, _ = file_claim(program=program, claim_type=documented, claimant=claimant)
    doc = claim.documents.get()
    assert not (settings.MEDIA_ROOT / "claims").exists()

    claimant_session(client, person=person, email=person.email)
    url = reverse("claims:document", args=[program.slug, claim.reference, doc.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == doc.sha256


def test_a_document_missing_from_the_store_is_404(
    client, program, documented, claimant, person, settings
):
    claim, _ = file_claim(program=program, claim_type=documented, claimant=claimant)
    doc = claim.documents.get()
    for path in (settings.MEDIA_ROOT / "claims").rglob(doc.storage_name):
        path.unlink()
    assert document_open(doc.storage_name) is None

    claimant_session(client, person=person, email=person.email)
    url = reverse("claims:document", args=[program.slug, claim.reference, doc.pk])
    assert client.get(url).status_code == 404
