"""The real gunicorn, with the repository's gunicorn.conf.py, serving the app on a free port:
no `Server` header, the Content-Security-Policy on the page, and a client's own
X-Forwarded-Proto does not make plain http count as https."""

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, path: str, headers: dict | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.fixture(scope="module")
def gunicorn_port(django_db_setup):
    # The test database (empty tables: the home page lists no program).
    url = urlsplit(os.environ["DATABASE_URL"])
    database_url = urlunsplit(url._replace(path="/" + settings.DATABASES["default"]["NAME"]))
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        # DEBUG only so that static files need no collectstatic manifest in a test; the headers
        # checked here do not depend on it. HSTS is sent on a request Django takes for https:
        # that is what shows whether a spoofed X-Forwarded-Proto was believed.
        "DEBUG": "1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "3600",
        "TRUSTED_PROXY_COUNT": "0",
    }
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"),
            *("--bind", f"127.0.0.1:{port}", "--workers", "1", "config.wsgi"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    assert server.stderr is not None  # stderr=PIPE
                    raise RuntimeError(server.stderr.read().decode()[-2000:]) from None
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(20)


def test_gunicorn_answers_without_a_server_header_and_with_the_csp(gunicorn_port):
    for path in ("/", "/healthz", "/no-such-page/"):
        response = _get(gunicorn_port, path)
        assert response.getheader("Server") is None, path
    page = _get(gunicorn_port, "/")
    assert page.status == 200
    assert (page.getheader("Content-Type") or "").startswith("text/html")
    policy = page.getheader("Content-Security-Policy") or ""
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy


def test_a_client_saying_https_over_plain_http_is_not_treated_as_secure(gunicorn_port):
    response = _get(gunicorn_port, "/", headers={"X-Forwarded-Proto": "https"})
    assert response.status == 200
    assert response.getheader("Strict-Transport-Security") is None
