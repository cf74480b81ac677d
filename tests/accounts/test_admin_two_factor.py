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
    person = AffectedPersonFactory.create(external_id="SECRET-EXT-1")
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
            assert response.url.startswith("/admin/"), url
            assert "login" not in response.url, url
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


def _login(client, ip="127.0.0.1", **data):
    return client.post(reverse("admin:login"), data, REMOTE_ADDR=ip)


def _refusal(response) -> list[str]:
    return response.context["form"].non_field_errors()


def test_every_failure_answers_the_same_so_a_right_password_is_never_told(client):
    UserFactory(email="staff@example.com")  # no device at all
    with_device = UserFactory(email="device@example.com")
    StaticDevice.objects.create(user=with_device, name="backup").token_set.create(token="good1234")

    answers = [
        _login(client, username="staff@example.com", password="wrong guess", otp_token="123456"),
        _login(client, username="staff@example.com", password="correct horse battery"),
        _login(
            client,
            username="staff@example.com",
            password="correct horse battery",
            otp_token="123456",
        ),
        _login(client, username="device@example.com", password="correct horse battery"),
        _login(
            client,
            username="device@example.com",
            password="correct horse battery",
            otp_token="bad99999",
        ),
    ]
    refusals = {tuple(_refusal(answer)) for answer in answers}
    assert len(refusals) == 1, refusals
    for answer in answers:
        assert answer.status_code == 200
        body = answer.content.decode()
        assert "OTP token" not in body
        assert "select a device" not in body
    assert client.get(reverse("admin:index")).status_code == 302


def test_wrong_codes_with_the_right_password_count_towards_the_lockout(client, settings):
    user = UserFactory(email="target@example.com")
    StaticDevice.objects.create(user=user, name="backup").token_set.create(token="good1234")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        refused = _login(
            client,
            username="target@example.com",
            password="correct horse battery",
            otp_token="bad99999",
        )
        assert refused.status_code == (429 if attempt == settings.AXES_FAILURE_LIMIT - 1 else 200)
    locked = _login(
        client,
        username="target@example.com",
        password="correct horse battery",
        otp_token="good1234",
    )
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_password_holder_cannot_lock_the_staff_members_authenticator(client, settings):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = UserFactory(email="victim@example.com")
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):  # the attacker, from their own network
        _login(
            client,
            ip="203.0.113.9",
            username="victim@example.com",
            password="correct horse battery",
            otp_token="000000" if totp(device.bin_key) != 0 else "111111",
        )
    client.cookies.clear()
    token = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    signed_in = _login(
        client,
        ip="198.51.100.7",
        username="victim@example.com",
        password="correct horse battery",
        otp_token=token,
        next=reverse("admin:index"),
    )
    assert signed_in.status_code == 302, _refusal(signed_in)
    assert client.get(reverse("admin:index")).status_code == 200
