"""One Korean word for a voucher (상품권) and for a claim (청구) in the notices, as on the pages."""

import importlib

import pytest

from notifications.models import NoticeTemplate


def test_korean_notices_say_sangpumgwon_and_cheonggu():
    migration = importlib.import_module("notifications.migrations.0010_korean_terms")
    assert (
        migration.korean_terms("보상 신청 {{ claim_reference }}이(가) 접수되었습니다")
        == "청구 {{ claim_reference }}이(가) 접수되었습니다"
    )
    assert migration.korean_terms("보상 이용권이 지급되었습니다") == "보상 상품권이 지급되었습니다"
    assert migration.korean_terms("신청 {{ claim_reference }} 이의신청 결과") == (
        "청구 {{ claim_reference }} 이의신청 결과"
    )


@pytest.mark.django_db
def test_no_korean_notice_template_says_bosang_sincheong_or_iyonggwon():
    korean = NoticeTemplate.objects.filter(language="ko")
    assert korean.exists()
    for template in korean:
        text = template.subject + template.body
        assert "보상 신청" not in text
        assert "이용권" not in text
        assert "바우처" not in text
