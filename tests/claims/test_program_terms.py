"""The program's own words per language: operators edit a draft of the terms in the admin
(texts and questions in Korean and English here), publish it, and the program's page shows it
with a dated list of versions; a published version never changes; a signed-in person sees
whether they are covered and why."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.db import IntegrityError, InternalError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import PROGRAM_OPERATOR, SUPPORT_AGENT
from audit.models import AuditEvent
from compensation.errors import CompensationError
from compensation.models import ProgramFaqEntry, ProgramTerms, ProgramTermsText
from compensation.services.terms import program_terms_draft, program_terms_publish
from demo.terms_seed import TEXTS, terms_seed
from tests.claims.conftest import claimant_session
from tests.conftest import otp_login
from tests.factories import ClaimantPersonFactory, UserFactory

pytestmark = pytest.mark.django_db


class _Form(HTMLParser):
    """The fields of the admin's change form as a browser would post them."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in {"submit", "button", "file"}:
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.data[name] = a.get("value") or "on"
            else:
                self.data[name] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            known = self.data[self._textarea]
            self.data[self._textarea] = known + (data if known else data.lstrip("\n"))


def _form(page) -> dict[str, str]:
    parser = _Form()
    parser.feed(page.text)
    return parser.data


def _row(data: dict[str, str], prefix: str, language: str, position: str | None = None) -> str:
    """The inline form (e.g. 'faq-3') holding `language` (and `position`)."""
    for key, value in data.items():
        if key.startswith(prefix + "-") and key.endswith("-language") and value == language:
            row = key.rsplit("-", 1)[0]
            if position is None or data.get(row + "-position") == position:
                return row
    raise AssertionError(f"no {prefix} row for {language} {position}")


def _operator() -> Client:
    return otp_login(Client(), UserFactory.create(role=PROGRAM_OPERATOR))


@pytest.fixture
def seeded(program):
    return terms_seed(program)


def test_an_operator_edits_the_faq_in_korean_and_english_and_publishes_a_dated_version(
    program, seeded
):
    operator = _operator()
    # "Add" starts the next version: a copy of the published one.
    response = operator.post(
        reverse("admin:compensation_programterms_add"), {"program": program.pk}
    )
    assert response.status_code == 302, response.text[:3000]
    draft = ProgramTerms.objects.get(program=program, published_at__isnull=True)
    assert draft.number == 2
    assert draft.faq.count() == seeded.faq.count() == 12
    url = reverse("admin:compensation_programterms_change", args=[draft.pk])
    data = _form(operator.get(url))

    ko, en = _row(data, "faq", "ko", "1"), _row(data, "faq", "en", "1")
    data[f"{ko}-answer"] = "휴대전화 번호나 이메일 주소를 입력하면 일회용 코드를 보내 드립니다."
    data[f"{en}-answer"] = "Type your phone number or email address and we send a one-time code."
    new = data["faq-TOTAL_FORMS"]
    data.update(
        {
            f"faq-{new}-language": "en",
            f"faq-{new}-position": "5",
            f"faq-{new}-question": "Can I use my vouchers abroad?",
            f"faq-{new}-answer": "No: only in the services listed above.",
            "faq-TOTAL_FORMS": str(int(new) + 1),
        }
    )
    for language, summary in {
        "ko": "로그인 방법 답변을 고쳤습니다.",
        "en": "Sign-in answer updated; a question on use abroad added.",
        "zh-hans": "更新了登录方式的回答。",
    }.items():
        data[f"{_row(data, 'texts', language)}-change_summary"] = summary
    data["_continue"] = "1"
    response = operator.post(url, data)
    assert response.status_code == 302, response.text[:3000]
    assert ProgramFaqEntry.objects.filter(terms=draft, language="en").count() == 5

    # Nothing of the draft is public yet.
    page = Client().get(reverse("claims:program", args=[program.slug]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Type your phone number" not in page.text

    response = operator.post(
        reverse("admin:compensation_programterms_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.published_at is not None
    assert AuditEvent.objects.filter(action="program_terms.publish", object_id=str(draft.pk))

    en_page = _page(program, "en")
    assert "Type your phone number or email address" in en_page
    assert "Can I use my vouchers abroad?" in en_page
    assert "Sign-in answer updated; a question on use abroad added." in en_page
    assert "First published." in en_page  # the version before, still listed
    today = timezone.localdate()
    assert f'datetime="{timezone.localtime(draft.published_at).isoformat()}"' in en_page
    assert en_page.index("version 2") < en_page.index("version 1")  # newest first

    ko_page = _page(program, "ko")
    assert "휴대전화 번호나 이메일 주소를 입력하면" in ko_page
    assert "로그인 방법 답변을 고쳤습니다." in ko_page
    assert f"{today.year}년 {today.month}월 {today.day}일" in ko_page
    assert "Can I use my vouchers abroad?" not in ko_page  # English only

    zh_page = _page(program, "zh-hans")
    assert "更新了登录方式的回答。" in zh_page
    assert TEXTS["zh-hans"]["who_is_covered"] in zh_page


def _page(program, language: str) -> str:
    client = Client()
    client.cookies["django_language"] = language
    response = client.get(reverse("claims:program", args=[program.slug]))
    assert response.status_code == 200
    return response.text


def test_a_published_version_never_changes(program, seeded):
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        ProgramTerms.objects.filter(pk=seeded.pk).update(contact_phone="000")
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        ProgramFaqEntry.objects.filter(terms=seeded).update(answer="changed")
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        ProgramFaqEntry.objects.create(terms=seeded, language="en", question="q", answer="a")
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        ProgramTermsText.objects.filter(terms=seeded).delete()
    # The admin shows it read-only.
    operator = _operator()
    page = operator.get(reverse("admin:compensation_programterms_change", args=[seeded.pk]))
    assert 'name="faq-0-answer"' not in page.text


def test_publishing_needs_what_changed_in_every_language(program, seeded):
    draft = program_terms_draft(program=program, actor=None)
    ProgramTermsText.objects.filter(terms=draft, language="ko").update(change_summary="바뀜")
    with pytest.raises(CompensationError, match="English, 中文"):
        program_terms_publish(terms=draft, actor=None)
    draft.refresh_from_db()
    assert draft.published_at is None
    assert ProgramTerms.objects.filter(program=program, published_at__isnull=False).count() == 1


def test_only_operators_edit_the_terms(program, seeded):
    agent = otp_login(Client(), UserFactory.create(role=SUPPORT_AGENT))
    assert agent.get(reverse("admin:compensation_programterms_add")).status_code == 403


def test_without_published_terms_the_page_answers_the_default_questions(program):
    page = _page(program, "ko")
    assert "어떻게 로그인하나요?" in page
    assert "What changed" not in _page(program, "en")


def test_am_i_covered_for_a_signed_in_person(client, program, seeded):
    person = ClaimantPersonFactory.create(program=program, email="jisoo@example.com")
    claimant_session(client, person=person, email=person.email)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("claims:program", args=[program.slug])).text
    assert "Am I covered?" in page
    assert "You are on the list of affected accounts" in page

    stranger = Client()
    claimant_session(stranger, person=None, email="nobody@example.com")
    stranger.cookies["django_language"] = "en"
    page = stranger.get(reverse("claims:program", args=[program.slug])).text
    assert "is not on this program's list of affected accounts" in page

    anonymous = Client()
    anonymous.cookies["django_language"] = "en"
    page = anonymous.get(reverse("claims:program", args=[program.slug])).text
    assert reverse("claims:signin", args=[program.slug]) in page


def test_the_page_takes_a_fixed_number_of_queries(program, seeded, django_assert_max_num_queries):
    for n in range(3):
        draft = program_terms_draft(program=program, actor=None)
        ProgramTermsText.objects.filter(terms=draft).update(change_summary=f"change {n}")
        program_terms_publish(terms=draft, actor=None)
    with django_assert_max_num_queries(12):
        page = _page(program, "en")
    assert page.count("change ") == 3
