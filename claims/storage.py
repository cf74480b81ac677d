"""Uploaded documents: a size limit, the content checked and images re-encoded
(claims.document_checks), a server-made name, SHA-256 of what is stored.

Files go through Django's Storage API, to the STORAGES["claim_documents"] backend: by default
a FileSystemStorage, the files below MEDIA_ROOT/claims/ (outside the web root; nothing serves
that folder); an object store (django-storages) by settings alone, so that any web process
serves what another one stored. A file leaves only through the document view, which checks who is
asking; the storage itself is never given a public URL."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.utils.translation import gettext_lazy as _

from claims.document_checks import document_check
from claims.errors import ClaimError

ALLOWED_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
STORAGE_ALIAS = "claim_documents"


@dataclass(frozen=True)
class StoredFile:
    storage_name: str
    content_type: str
    size_bytes: int
    sha256: str
    # The stored bytes are an image re-encoded from the upload (nothing of the upload's own
    # bytes): the only kind the case page may show inline.
    reencoded: bool = False


def _storage() -> Storage:
    return storages[STORAGE_ALIAS]


def _key(storage_name: str) -> str:
    # Below claims/ (the default backend's root is MEDIA_ROOT), fanned out by the first two
    # characters so that no folder holds millions of files.
    return f"claims/{storage_name[:2]}/{storage_name}"


def document_store(upload) -> StoredFile:
    """Check and store one upload. ClaimError (nothing stored) when it is too big or is not a
    PDF, JPEG or PNG that passes claims.document_checks, whatever its name or declared type
    say; the message names the file. An image is stored re-encoded."""
    name = upload.name or ""
    if upload.size > settings.CLAIMS_UPLOAD_MAX_BYTES:
        raise ClaimError(
            _("“%(name)s” is too large. The limit is %(mb)s MB.")
            % {"name": name[-80:], "mb": settings.CLAIMS_UPLOAD_MAX_BYTES // 1024**2},
            code="file_too_large",
        )
    upload.seek(0)
    checked = document_check(name=name, content=upload.read(settings.CLAIMS_UPLOAD_MAX_BYTES + 1))
    content_type = checked.content_type
    size = len(checked.content)
    digest = hashlib.sha256(checked.content)
    storage_name = f"{secrets.token_hex(16)}.{ALLOWED_TYPES[content_type]}"
    saved = _storage().save(_key(storage_name), ContentFile(checked.content))
    if saved != _key(storage_name):
        # 128 random bits never collide; a backend that renamed the file would strand it.
        _storage().delete(saved)
        raise RuntimeError("the document storage did not keep the name it was given")
    return StoredFile(storage_name, content_type, size, digest.hexdigest(), checked.reencoded)


def document_open(storage_name: str) -> File | None:
    """The stored file, open for reading, or None when it is gone."""
    storage = _storage()
    key = _key(storage_name)
    if not storage.exists(key):
        return None
    return storage.open(key, "rb")


def documents_delete(storage_names: Iterable[str]) -> None:
    """Delete stored files; a file already gone is skipped."""
    storage = _storage()
    for storage_name in storage_names:
        storage.delete(_key(storage_name))
