"""Email through Django's email backend (SMTP in production), one connection per chunk."""

from __future__ import annotations

import contextlib
import smtplib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email

from notifications.channels.base import (
    ChannelBackend,
    OutgoingMessage,
    PermanentSendError,
    TransientSendError,
)

# SMTP replies that mean "this address will never work" rather than "not now".
_PERMANENT_CODES = {501, 550, 551, 553, 554, 556}


def message_id_for(message: OutgoingMessage) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    return f"<notice-{message.notice_id}.{message.reference}@{domain}>"


class EmailChannel(ChannelBackend):
    def __init__(self) -> None:
        self.connection = get_connection(fail_silently=False)

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
        try:
            validate_email(message.to_address)
        except ValidationError as exc:
            raise PermanentSendError("not a valid email address") from exc
        if self.connection.connection is None:
            self.open()  # kept open for the rest of the chunk
        message_id = message_id_for(message)
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to_address],
            headers={"Message-ID": message_id, "X-Notice-Reference": message.reference},
            connection=self.connection,
        )
        try:
            email.send()
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
        except (TimeoutError, OSError, smtplib.SMTPException) as exc:
            self._reset()
            raise TransientSendError(
                f"mail server connection failed: {type(exc).__name__}"
            ) from exc
        return message_id

    def _reset(self) -> None:
        """After an error mid-conversation the connection may be unusable: start a new one for
        the rest of the chunk (opened lazily by the next send)."""
        self.close()
