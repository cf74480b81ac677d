"""Email in development: each message becomes one .eml file in EMAIL_FILE_PATH (.local/mail/).

Selected when DEBUG is on and EMAIL_URL is not set. The files are written with the SMTPUTF8
policy, so Subject, From and To are plain UTF-8 (Korean and Chinese readable in any editor or
mail client), not MIME encoded-words. One line per message goes to the log, without the body:
a body may hold a sign-in code.
"""

from __future__ import annotations

import email.policy
import logging
from email.parser import BytesParser
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone
from django.utils.text import slugify

logger = logging.getLogger(__name__)

# Headers Django writes as encoded-words when they are not ASCII.
_READABLE_HEADERS = ("Subject", "From", "To", "Cc", "Reply-To")


def eml_bytes(message) -> bytes:
    """The message as RFC 5322 bytes with its address and subject headers in UTF-8."""
    parsed = BytesParser(policy=email.policy.default).parsebytes(message.message().as_bytes())
    for name in _READABLE_HEADERS:
        value = parsed[name]
        if value is not None:
            del parsed[name]
            parsed[name] = str(value).strip()  # decoded; written back raw under SMTPUTF8
    return parsed.as_bytes(policy=email.policy.SMTPUTF8)


class EmlFileBackend(BaseEmailBackend):
    """Writes each message to `<EMAIL_FILE_PATH>/<timestamp>-<subject slug>.eml`."""

    def __init__(self, *, file_path: str | None = None, **kwargs):
        super().__init__(**kwargs)
        directory = file_path or getattr(settings, "EMAIL_FILE_PATH", None)
        if not directory:  # only set by default when settings chose this backend
            raise ImproperlyConfigured("EmlFileBackend needs EMAIL_FILE_PATH.")
        self.directory = Path(directory)

    def send_messages(self, email_messages) -> int:
        if not email_messages:
            return 0
        self.directory.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            try:
                path = self._write(message)
            except Exception:
                if not self.fail_silently:
                    raise
                continue
            logger.info("mail: %s -> %s", " ".join(message.subject.split()), _shown(path))
            sent += 1
        return sent

    def _write(self, message) -> Path:
        payload = eml_bytes(message)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S-%f")
        slug = slugify(message.subject, allow_unicode=True)[:40].strip("-") or "message"
        for attempt in range(100):
            suffix = f"-{attempt}" if attempt else ""
            path = self.directory / f"{stamp}-{slug}{suffix}.eml"
            try:
                with path.open("xb") as handle:  # never overwrite another message
                    handle.write(payload)
            except FileExistsError:
                continue
            return path
        raise FileExistsError(f"no free file name for a message in {self.directory}")


def _shown(path: Path) -> str:
    """The path relative to the project when it is inside it (.local/mail/...)."""
    try:
        return str(path.resolve().relative_to(Path(settings.BASE_DIR).resolve()))
    except ValueError:
        return str(path)
