"""Uploaded documents: type from the content, a size limit, a server-made name, SHA-256.

Files live under MEDIA_ROOT/claims/ (outside the web root; nothing serves that folder) and
leave only through the document view, which checks who is asking."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

import filetype
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from claims.errors import ClaimError

ALLOWED_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


@dataclass(frozen=True)
class StoredFile:
    storage_name: str
    content_type: str
    size_bytes: int
    sha256: str


def _root() -> Path:
    return Path(settings.MEDIA_ROOT) / "claims"


def document_path(storage_name: str) -> Path:
    return _root() / storage_name[:2] / storage_name


def document_store(upload) -> StoredFile:
    """Check and store one upload. ClaimError (nothing stored) when it is too big or its
    content is not a PDF, JPEG or PNG, whatever its name or declared type say."""
    if upload.size > settings.CLAIMS_UPLOAD_MAX_BYTES:
        raise ClaimError(
            _("The file is too large. The limit is %(mb)s MB.")
            % {"mb": settings.CLAIMS_UPLOAD_MAX_BYTES // 1024**2},
            code="file_too_large",
        )
    upload.seek(0)
    head = upload.read(8192)
    kind = filetype.guess(head)
    content_type = kind.mime if kind else ""
    if content_type not in ALLOWED_TYPES:
        raise ClaimError(
            _("This file is not a PDF, JPEG or PNG. Please upload one of those."),
            code="file_type_refused",
        )
    storage_name = f"{secrets.token_hex(16)}.{ALLOWED_TYPES[content_type]}"
    path = document_path(storage_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    upload.seek(0)
    with path.open("xb") as handle:
        for chunk in upload.chunks():
            digest.update(chunk)
            size += len(chunk)
            handle.write(chunk)
    path.chmod(0o600)
    return StoredFile(storage_name, content_type, size, digest.hexdigest())
