import pytest
from django.contrib import admin
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice

from accounts.roles import PROGRAM_OPERATOR
from tests.factories import AffectedPersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def _admin_urls() -> list[str]:
    urls = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        app_label, model_name = model._meta.app_label, model._meta.model_name
        urls.append(reverse("admin:app_list", args=[app_label]))
        urls.append(reverse(f"admin:{app_label}_{model_name}_changelist"))
        urls.append(reverse(f"admin:{app_label}_{model_name}_add"))
    return sorted(set(urls))


def test_password_only_superuser_gets_no_admin_page(client):
    person = AffectedPersonFactory(external_id="SECRET-EXT-1")
    user = UserFactory(is_superuser=True)
    client.force_login(user)  # password only: no verified device in the session

    urls = _admin_urls()
    urls.append(reverse("admin:compensation_affectedperson_change", args=[person.pk]))
    assert len(urls) > 15
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login")), url
        assert b"SECRET-EXT-1" not in response.content


def test_verified_superuser_reaches_every_admin_page(staff_client):
    client = staff_client(is_superuser=True)
    for url in _admin_urls():
        response = client.get(url)
        if response.status_code == 302:  # an add page that starts elsewhere (an issuance run)
            assert response.url.startswith("/admin/") and "login" not in response.url, url
            response = client.get(response.url)
        assert response.status_code in (200, 403), url  # 403: add is disabled (audit trail)


def test_admin_login_needs_the_one_time_code(client):
    user = UserFactory(email="agent@example.com", role=PROGRAM_OPERATOR)
    device = StaticDevice.objects.create(user=user, name="backup")
    device.token_set.create(token="abcd1234")
    login = reverse("admin:login")

    without_code = client.post(
        login, {"username": "agent@example.com", "password": "correct horse battery"}
    )
    assert without_code.status_code == 200  # the form again, with an error
    assert client.get(reverse("admin:index")).status_code == 302

    with_code = client.post(
        login,
        {
            "username": "agent@example.com",
            "password": "correct horse battery",
            "otp_token": "abcd1234",
            "next": reverse("admin:index"),
        },
    )
    assert with_code.status_code == 302, with_code.context["form"].errors
    assert client.get(reverse("admin:index")).status_code == 200
    assert not device.token_set.filter(token="abcd1234").exists()  # single use


def test_repeated_failures_lock_the_account_out(client, settings):
    UserFactory(email="target@example.com")
    login = reverse("admin:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(login, {"username": "target@example.com", "password": "wrong guess"})
    locked = client.post(
        login,
        {"username": "target@example.com", "password": "correct horse battery", "otp_token": "x"},
    )
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_code_of_another_users_device_does_not_sign_in(client):
    UserFactory(email="victim@example.com")
    other = UserFactory(email="other@example.com")
    device = StaticDevice.objects.create(user=other, name="backup")
    device.token_set.create(token="zzzz9999")
    response = client.post(
        reverse("admin:login"),
        {
            "username": "victim@example.com",
            "password": "correct horse battery",
            "otp_token": "zzzz9999",
            "otp_device": device.persistent_id,
        },
    )
    assert response.status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302
    assert device.token_set.filter(token="zzzz9999").exists()
