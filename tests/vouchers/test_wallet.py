import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from compensation.models import AffectedPerson
from tests.vouchers.conftest import people_make, run_issue
from tests.vouchers.helpers import code_of
from vouchers.models import Voucher
from vouchers.services.freeze import voucher_void_and_reissue

pytestmark = pytest.mark.django_db


def _sign_in(client, person):
    session = client.session
    session["claimant_person_id"] = person.pk
    session.save()


@pytest.fixture
def person(coupang, no_dispatch):
    people_make(coupang, 2)
    run_issue(coupang)
    return AffectedPerson.objects.filter(program=coupang).order_by("id").first()


def test_the_owner_sees_every_voucher_with_its_full_code_and_where_to_use_it(client, person):
    _sign_in(client, person)
    response = client.get(reverse("vouchers:wallet"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    )
    html = response.content.decode()
    mine = Voucher.objects.filter(person=person)
    assert mine.count() == 4
    for voucher in mine:
        assert code_of(voucher) in html
    others = Voucher.objects.exclude(person=person)
    assert not any(code_of(v) in html for v in others)
    for text in [
        "Food delivery (Eats)",
        "Travel",
        "₩20,000",
        "Ready to use",
        '<caption id="vouchers-caption">',
    ]:
        assert text in html


@pytest.mark.parametrize("language", ["ko", "zh-hans", "en"])
def test_the_wallet_speaks_korean_english_and_chinese(client, person, language):
    _sign_in(client, person)
    html = client.get(reverse("vouchers:wallet"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    with translation.override(language):
        heading, service, status = gettext("My vouchers"), gettext("Travel"), gettext("Used")
    assert heading in html
    assert service in html
    assert f'lang="{language}"' in html
    if language != "en":
        assert "My vouchers" not in html
        assert heading != "My vouchers"
        assert status != "Used"


def test_a_reissued_voucher_shows_only_the_new_code(client, person):
    old = Voucher.objects.filter(person=person, service_scope="eats").get()
    new = voucher_void_and_reissue(voucher=old, reason="lost", actor_label="test")
    _sign_in(client, person)
    html = client.get(reverse("vouchers:wallet")).content.decode()
    assert code_of(new) in html
    assert code_of(old) not in html


def test_without_a_claimant_session_the_wallet_asks_to_sign_in(client, person):
    response = client.get(reverse("vouchers:wallet"))
    assert response.status_code == 403
    assert b"Sign in" in response.content
