import io
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest

from notifications.channels import (
    CHANNELS,
    OutgoingMessage,
    PermanentSendError,
    TransientSendError,
    channel_backend,
)
from notifications.channels.sms import ConsoleSms, HttpSms
from notifications.models import Notice
from notifications.services import notices_dispatch
from tests.notifications.factories import NoticeFactory

MESSAGE = OutgoingMessage(
    notice_id=42,
    reference="7Q2M9KXD4TGBH1ZP",
    to_address="010-1234-5678",
    subject="",
    body="[Program] Decision. 7Q2M-9KXD-4TGB-H1ZP",
)


class Provider(BaseHTTPRequestHandler):
    """A fake SMS provider: the status to answer comes from the test."""

    answers: ClassVar[list[int]] = []
    received: ClassVar[list[tuple[dict, dict]]] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Provider.received.append((dict(self.headers), body))
        status = Provider.answers.pop(0) if Provider.answers else 200
        payload = json.dumps({"id": f"prov-{len(Provider.received)}"}).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def provider(settings):
    server = HTTPServer(("127.0.0.1", 0), Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Provider.answers, Provider.received = [], []
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{server.server_port}/v1/messages"
    settings.SMS_HTTP_TOKEN = "test-token"
    yield Provider
    server.shutdown()


def test_channels_are_an_explicit_registry():
    assert set(CHANNELS) == {"email", "sms"}


def test_the_console_sms_backend_masks_the_number(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(ConsoleSms, "stream", stream)
    assert ConsoleSms().send(MESSAGE) == "console-42"
    assert "*********5678" in stream.getvalue()
    assert "1234" not in stream.getvalue()


def test_the_http_provider_gets_the_notice_id_as_idempotency_key(provider):
    with channel_backend("sms") as backend:
        assert isinstance(backend, HttpSms)
        assert backend.send(MESSAGE) == "prov-1"
        assert backend.send(MESSAGE) == "prov-2"  # the same keep-alive connection
    headers, body = provider.received[0]
    assert headers["Idempotency-Key"] == "notice-42"
    assert headers["Authorization"] == "Bearer test-token"
    assert body == {"to": "010-1234-5678", "text": MESSAGE.body, "reference": MESSAGE.reference}


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, PermanentSendError),
        (422, PermanentSendError),
        (429, TransientSendError),
        (503, TransientSendError),
    ],
)
def test_provider_answers_are_sorted_into_permanent_and_transient(provider, status, error):
    provider.answers = [status]
    with pytest.raises(error), channel_backend("sms") as backend:
        backend.send(MESSAGE)


def test_a_bad_phone_number_is_permanent_without_calling_the_provider(provider):
    with pytest.raises(PermanentSendError), channel_backend("sms") as backend:
        backend.send(OutgoingMessage(1, "X" * 16, "call me", "", "text"))
    assert provider.received == []


@pytest.mark.django_db
def test_sms_notices_go_through_the_provider_and_are_marked_sent(provider):
    notice = NoticeFactory.create(channel="sms", to_address="010-9999-0000", language="ko")
    notices_dispatch(channel="sms")
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENT
    assert notice.provider_message_id == "prov-1"
    assert notice.reference_display in provider.received[0][1]["text"]


@pytest.mark.parametrize(
    "address",
    [
        "a@example.com\r\nBcc: all@example.com",
        "two@@example.com",
        "no-domain@",
        "a b@example.com",
        "dots..in@example.com",
        "",
    ],
)
def test_an_address_that_could_add_a_header_or_is_malformed_is_permanent(address):
    from notifications.channels.email import address_check

    with pytest.raises(PermanentSendError):
        address_check(address)


@pytest.mark.parametrize("address", ["kim.minji+claims@example.co.kr", "kim@bücher.example"])
def test_ordinary_and_international_addresses_pass(address):
    from notifications.channels.email import address_check

    address_check(address)
