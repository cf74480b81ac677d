"""X-Forwarded-Proto says a request came over https only behind our own proxies
(TRUSTED_PROXY_COUNT): from anyone else it is a claim the client makes about itself."""

import pytest
from django.test import RequestFactory

from tests.config.test_settings import PRODUCTION_ENV, _manage

IS_SECURE = (
    "from django.test import RequestFactory; "
    "print(RequestFactory().get('/', HTTP_X_FORWARDED_PROTO='https').is_secure())"
)


def test_a_request_saying_https_over_plain_http_is_not_secure_without_trusted_proxies(settings):
    assert settings.TRUSTED_PROXY_COUNT == 0
    assert RequestFactory().get("/", HTTP_X_FORWARDED_PROTO="https").is_secure() is False


@pytest.mark.django_db
def test_without_trusted_proxies_a_spoofed_https_header_is_still_redirected_to_https(
    client, settings
):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_production_settings_honour_the_header_only_behind_a_configured_proxy():
    alone = _manage("shell", "-c", IS_SECURE, env=PRODUCTION_ENV)
    assert alone.returncode == 0, alone.stderr
    assert alone.stdout.splitlines()[-1] == "False"
    behind = _manage("shell", "-c", IS_SECURE, env={**PRODUCTION_ENV, "TRUSTED_PROXY_COUNT": "1"})
    assert behind.returncode == 0, behind.stderr
    assert behind.stdout.splitlines()[-1] == "True"
