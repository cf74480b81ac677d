"""The staff site: it speaks the staff member's language (User.language), and an id that
cannot be a model's primary key answers 404 on every model's pages, not 500."""

import pytest
from django.contrib import admin
from django.db import models
from django.urls import NoReverseMatch, reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _pages(model) -> list[str]:
    urls = []
    for page in ("change", "history", "delete"):
        try:
            urls.append(
                reverse(
                    f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=["abc"]
                )
            )
        except NoReverseMatch:
            continue
    return urls


def test_a_non_numeric_id_is_404_on_every_model_with_a_non_string_key(staff_client):
    client = staff_client(None, is_superuser=True)
    checked = 0
    for model in admin.site._registry:
        pk = model._meta.pk
        if isinstance(pk, models.CharField | models.TextField):
            continue  # "abc" may be such a key: the page says it does not exist
        for url in _pages(model):
            response = client.get(url)
            assert response.status_code == 404, (url, response.status_code)
            checked += 1
    assert checked >= 30  # the claims, vouchers, payouts, notices, programs... pages
    assert client.get("/admin/vouchers/voucherbatch/abc/change/").status_code == 404


def test_a_numeric_id_still_reaches_the_page(staff_client):
    client = staff_client(None, is_superuser=True)
    user = client.user
    assert client.get(reverse("admin:accounts_user_change", args=[user.pk])).status_code == 200
    assert client.get(reverse("admin:accounts_user_change", args=[10**9])).status_code == 302


@pytest.mark.parametrize(
    ("language", "expected"),
    [("ko", "로그아웃"), ("zh-hans", "注销"), ("en", "Log out")],
)
def test_the_staff_site_follows_the_staff_members_language(staff_client, language, expected):
    client = staff_client("Support agent", language=language)
    # The browser asks for English; the staff member's setting wins.
    response = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Language"] == language
    assert expected in response.content.decode()


def test_without_a_setting_the_browser_chooses(staff_client):
    client = staff_client("Support agent")
    response = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="ko")
    assert response["Content-Language"] == "ko"


def test_the_setting_does_not_reach_claimant_pages(client):
    user = UserFactory.create(language="ko")
    client.force_login(user)
    response = client.get("/verify/", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "en"
