"""Email through Django's email backend (SMTP in production), one connection per chunk.

With Django's SMTP backend, messages are written straight onto the backend's open connection
as plain-text RFC 5322 bytes built here: Django's EmailMessage costs about a millisecond of CPU
per message in MIME machinery (header folding, address parsing), which at campaign volume is
most of a worker's time. The connection itself (host, port, TLS, credentials, timeout) is still
Django's. Any other backend (console, locmem in development and tests) gets an EmailMessage.
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
import re
import smtplib
from email.header import Header

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import sanitize_address
from django.core.validators import validate_email

from notifications.channels.base import (
    ChannelBackend,
    OutgoingMessage,
    PermanentSendError,
    TransientSendError,
)

# SMTP replies that mean "this address will never work" rather than "not now".
_PERMANENT_CODES = {501, 550, 551, 553, 554, 556}
_MAX_LINE = 998  # RFC 5322: longer lines must be encoded


def message_id_for(message: OutgoingMessage, domain: str | None = None) -> str:
    if domain is None:
        domain = email.utils.parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
    return f"<notice-{message.notice_id}.{message.reference}@{domain or 'localhost'}>"


# A plain ASCII address, with nothing that could end a header or an SMTP command. Django's
# validator (with its IDNA domain check) costs ~50 microseconds a message; it is kept for the
# rare address outside this shape.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def address_check(address: str) -> None:
    if _PLAIN_ADDRESS.fullmatch(address) and ".." not in address:
        return
    try:
        validate_email(address)
    except ValidationError as exc:
        raise PermanentSendError("not a valid email address") from exc


def _subject_header(subject: str) -> str:
    subject = " ".join(subject.split())  # never a line break in a header
    return subject if subject.isascii() else Header(subject, "utf-8").encode()


def _body_part(body: str) -> tuple[str, bytes]:
    text = body.replace("\r\n", "\n").replace("\n", "\r\n")
    if text.isascii() and all(len(line) <= _MAX_LINE for line in text.split("\r\n")):
        return "7bit", text.encode("ascii")
    return "base64", base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")


def message_bytes(
    message: OutgoingMessage, *, from_header: str, message_id: str, subject_header: str
) -> bytes:
    """A plain-text UTF-8 email. The address was validated and the subject has no line
    breaks, so nothing here can add a header."""
    encoding, body = _body_part(message.body)
    headers = (
        f"From: {from_header}\r\n"
        f"To: {message.to_address}\r\n"
        f"Subject: {subject_header}\r\n"
        f"Date: {email.utils.formatdate()}\r\n"
        f"Message-ID: {message_id}\r\n"
        f"X-Notice-Reference: {message.reference}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    )
    return headers.encode("ascii") + body


class EmailChannel(ChannelBackend):
    def __init__(self) -> None:
        self.connection = get_connection(fail_silently=False)
        self.from_header = sanitize_address(settings.DEFAULT_FROM_EMAIL, "utf-8")
        self.domain = email.utils.parseaddr(self.from_header)[1].rpartition("@")[2]
        self._subjects: dict[str, str] = {}

    def open(self) -> None:
        try:
            self.connection.open()
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientSendError(f"cannot connect to the mail server: {exc}") from exc

    def close(self) -> None:
        # The server may have gone away already: then there is nothing left to close.
        with contextlib.suppress(OSError, smtplib.SMTPException):
            self.connection.close()

    def send(self, message: OutgoingMessage) -> str:
        address_check(message.to_address)
        message_id = message_id_for(message, self.domain)
        try:
            if isinstance(self.connection, SmtpBackend) and message.to_address.isascii():
                self._send_direct(self.connection, message, message_id)
            else:
                self._send_django(message, message_id)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if codes and all(code in _PERMANENT_CODES for code in codes):
                raise PermanentSendError(f"recipient refused ({codes[0]})") from exc
            raise TransientSendError(f"recipient deferred ({codes[0] if codes else '?'})") from exc
        except smtplib.SMTPResponseException as exc:
            self._reset()
            if exc.smtp_code in _PERMANENT_CODES:
                raise PermanentSendError(f"refused by the mail server ({exc.smtp_code})") from exc
            raise TransientSendError(f"mail server said {exc.smtp_code}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            self._reset()
            raise TransientSendError(
                f"mail server connection failed: {type(exc).__name__}"
            ) from exc
        return message_id

    def _send_direct(self, backend: SmtpBackend, message: OutgoingMessage, message_id: str) -> None:
        if backend.connection is None:
            self.open()  # kept open for the rest of the chunk
        smtp = backend.connection
        assert smtp is not None  # open() connected (fail_silently=False) or raised
        subject = self._subjects.get(message.subject)
        if subject is None:
            subject = self._subjects[message.subject] = _subject_header(message.subject)
        payload = message_bytes(
            message, from_header=self.from_header, message_id=message_id, subject_header=subject
        )
        smtp.sendmail(self.from_header, [message.to_address], payload)

    def _send_django(self, message: OutgoingMessage, message_id: str) -> None:
        EmailMessage(
            subject=" ".join(message.subject.split()),
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to_address],
            headers={"Message-ID": message_id, "X-Notice-Reference": message.reference},
            connection=self.connection,
        ).send()

    def _reset(self) -> None:
        """After an error mid-conversation the connection may be unusable: start a new one for
        the rest of the chunk (opened by the next send)."""
        self.close()
