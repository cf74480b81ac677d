"""SMS: a console backend for development and an HTTP provider backend.

The HTTP provider gets a JSON POST {"to", "text", "reference"} with `Authorization: Bearer`
and an `Idempotency-Key` header (the notice id), over one keep-alive connection per chunk."""

from __future__ import annotations

import http.client
import json
import re
import sys
import urllib.parse

from django.conf import settings

from notifications.channels.base import (
    ChannelBackend,
    OutgoingMessage,
    PermanentSendError,
    TransientSendError,
)

_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{6,30}$")
_TIMEOUT_SECONDS = 10


def _phone_check(to_address: str) -> None:
    if not _PHONE.match(to_address or ""):
        raise PermanentSendError("not a valid phone number")


class ConsoleSms(ChannelBackend):
    """Writes messages to standard output; the number is masked (logs carry no personal data)."""

    stream = sys.stdout

    def send(self, message: OutgoingMessage) -> str:
        _phone_check(message.to_address)
        masked = "*" * max(len(message.to_address) - 4, 0) + message.to_address[-4:]
        self.stream.write(f"SMS to {masked} [{message.reference}]\n{message.body}\n\n")
        self.stream.flush()
        return f"console-{message.notice_id}"


# What LocmemSms sent, for tests (like django.core.mail.outbox): one entry per message.
outbox: list[OutgoingMessage] = []


class LocmemSms(ChannelBackend):
    """Keeps messages in `outbox` (SMS_BACKEND=locmem, for tests and local checks)."""

    def send(self, message: OutgoingMessage) -> str:
        _phone_check(message.to_address)
        outbox.append(message)
        return f"locmem-{message.notice_id}"


class HttpSms(ChannelBackend):
    def __init__(self) -> None:
        url = urllib.parse.urlsplit(settings.SMS_HTTP_URL)
        self.scheme, self.host = url.scheme, url.netloc
        self.path = url.path or "/"
        if url.query:
            self.path += "?" + url.query
        self.connection: http.client.HTTPConnection | None = None

    def open(self) -> None:
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        self.connection = cls(self.host, timeout=_TIMEOUT_SECONDS)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def send(self, message: OutgoingMessage) -> str:
        _phone_check(message.to_address)
        if self.connection is None:
            self.open()
        connection = self.connection
        assert connection is not None  # open() sets it
        payload = json.dumps(
            {"to": message.to_address, "text": message.body, "reference": message.reference}
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {settings.SMS_HTTP_TOKEN}",
            "Idempotency-Key": message.idempotency_key,
        }
        try:
            connection.request("POST", self.path, body=payload, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise TransientSendError(f"SMS provider unreachable: {type(exc).__name__}") from exc
        status = response.status
        if status == 429 or status == 408 or status >= 500:
            raise TransientSendError(f"SMS provider answered {status}")
        if status >= 400:
            raise PermanentSendError(f"SMS provider refused the message ({status})")
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        provider_id = body.get("id") or body.get("message_id") if isinstance(body, dict) else None
        return str(provider_id or message.idempotency_key)[:200]
