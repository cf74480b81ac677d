"""A real SMTP server in the test process (aiosmtpd on loopback) that counts what arrives."""

from __future__ import annotations

import email
import email.header
import logging
import re
import socket
import threading
from collections import Counter
from email import policy

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_REFERENCE = re.compile(rb"X-Notice-Reference: ([0-9A-Z]+)")
_SUBJECT = re.compile(rb"Subject: ([^\r\n]*)")


class CountingHandler:
    """Accepts every message; refuses recipients on bad.example (550, permanent) and defers
    those on busy.example (451, transient)."""

    def __init__(self, keep_messages: bool = True) -> None:
        self.lock = threading.Lock()
        self.by_reference: Counter[str] = Counter()
        self.received = 0
        self.raw_subjects: dict[str, bytes] = {}  # reference -> Subject header as sent
        self.messages: list[email.message.EmailMessage] = []
        # With thousands of messages, only the reference header is read (cheap).
        self.keep_messages = keep_messages

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@bad.example"):
            return "550 5.1.1 No such user"
        if address.endswith("@busy.example"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.keep_messages:
            message = email.message_from_bytes(envelope.content, policy=policy.default)
            reference = message["X-Notice-Reference"]
        else:
            found = _REFERENCE.search(envelope.content)
            message, reference = None, found.group(1).decode() if found else "?"
            subject = _SUBJECT.search(envelope.content)
            if subject:
                self.raw_subjects[reference] = subject.group(1)
        with self.lock:
            self.received += 1
            self.by_reference[reference] += 1
            if message is not None:
                self.messages.append(message)
        return "250 Message accepted"

    def subject(self, reference: str) -> str:
        raw = self.raw_subjects[reference].decode("ascii")
        return str(email.header.make_header(email.header.decode_header(raw)))

    @property
    def total(self) -> int:
        return self.received

    def duplicates(self) -> int:
        with self.lock:
            return sum(count - 1 for count in self.by_reference.values() if count > 1)


class SmtpServer:
    def __init__(self, keep_messages: bool = True) -> None:
        # aiosmtpd logs every command at INFO: thousands of lines (and addresses) per test.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.handler = CountingHandler(keep_messages)
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.controller.stop()
