"""What a new user saw on the claimant pages: names and summaries in their language, service
names, one language menu in each language's own name, local number and time formats, titles
said once, a favicon."""

import datetime as dt

import pytest
from django.contrib.staticfiles import finders
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from tests.factories import AwardLineFactory, ProgramFactory

pytestmark = pytest.mark.django_db

KST = dt.timezone(dt.timedelta(hours=9))


@pytest.fixture
def program_in_three_languages(db):
    program = ProgramFactory.create(
        name="Account breach compensation",
        name_i18n={"ko": "계정 유출 보상", "zh-hans": "账户泄露补偿"},
        incident__summary="Contact data was read.",
        incident__summary_i18n={
            "ko": "연락처 정보가 조회되었습니다.",
            "zh-hans": "联系信息被读取。",
        },
        incident__estimated_affected=1_234_567,
    )
    AwardLineFactory.create(program=program, amount_minor=20_000, service_scope="eats")
    return program


def _page(client, program, language):
    url = reverse("claims:program", args=[program.slug])
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language).text


def test_korean_program_page_shows_the_korean_name_and_summary(client, program_in_three_languages):
    korean = _page(client, program_in_three_languages, "ko")
    assert "<h1>계정 유출 보상</h1>" in korean
    assert "연락처 정보가 조회되었습니다." in korean
    assert "Account breach compensation" not in korean
    assert "Contact data was read." not in korean
    chinese = _page(client, program_in_three_languages, "zh-hans")
    assert "<h1>账户泄露补偿</h1>" in chinese
    assert "联系信息被读取。" in chinese


def test_a_language_without_a_translation_falls_back_to_the_main_text(client):
    program = ProgramFactory.create(name="Only in English", incident__summary="Plain summary.")
    korean = _page(client, program, "ko")
    assert "<h1>Only in English</h1>" in korean
    assert "Plain summary." in korean


def test_program_page_names_the_service_not_its_code(client, program_in_three_languages):
    english = _page(client, program_in_three_languages, "en")
    assert "(Food delivery (Eats))" in english
    assert "(eats)" not in english
    assert "(음식 배달 (이츠))" in _page(client, program_in_three_languages, "ko")


def test_chinese_numbers_have_thousands_separators(client, program_in_three_languages):
    chinese = _page(client, program_in_three_languages, "zh-hans")
    assert "1,234,567" in chinese
    assert "₩20,000" in chinese


def test_korean_times_put_the_meridiem_first():
    moment = dt.datetime(2026, 3, 14, 11, 37, tzinfo=KST)
    template = Template('{{ moment|date:"DATETIME_FORMAT" }}|{{ moment|time:"TIME_FORMAT" }}')
    with translation.override("ko"):
        assert (
            template.render(Context({"moment": moment})) == "2026년 3월 14일 오전 11:37|오전 11:37"
        )
    with translation.override("zh-hans"):
        assert template.render(Context({"moment": moment})) == "2026年3月14日 11:37|11:37"


@pytest.mark.parametrize("language", ["ko", "en", "zh-hans"])
def test_the_language_menu_names_each_language_in_its_own_name(client, language):
    text = client.get(reverse("claims:home"), HTTP_ACCEPT_LANGUAGE=language).text
    assert '<option value="ko" lang="ko"' in text
    assert ">한국어</option>" in text
    assert ">English</option>" in text
    assert ">简体中文</option>" in text
    assert "영어" not in text


def test_the_home_page_title_is_said_once(client):
    text = client.get(reverse("claims:home"), HTTP_ACCEPT_LANGUAGE="en").text
    assert "<title>Compensation programs</title>" in text


def test_the_favicon_is_a_local_static_file_linked_from_every_page(client):
    assert finders.find("site/favicon.svg")
    text = client.get(reverse("claims:home")).text
    assert 'rel="icon" href="/static/site/favicon.svg"' in text
