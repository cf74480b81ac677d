import re

import pytest
from django.utils import translation

from compensation.engine import reason_text
from compensation.engine.reasons import REASONS

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.mark.parametrize("language", ["ko", "zh-hans"])
@pytest.mark.parametrize("key", sorted(REASONS))
def test_every_reason_is_translated_with_the_same_parameters(key, language):
    english = str(REASONS[key])
    with translation.override(language):
        translated = str(REASONS[key])
    assert translated != english, f"{key} has no {language} translation in locale/"
    assert sorted(PLACEHOLDER.findall(translated)) == sorted(PLACEHOLDER.findall(english))


def test_a_reason_is_rendered_in_the_asked_language_whatever_is_active():
    params = {"status": "closed"}
    with translation.override("ko"):
        english = reason_text("account_status", False, params, "en")
    with translation.override("en"):
        korean = reason_text("account_status", False, params, "ko")
    assert english == "Accounts with the status 'closed' are not covered by this program."
    # The stored status is said in words of the language, not as its code.
    assert korean == "'탈퇴(해지)' 상태의 계정은 이 보상 프로그램의 대상이 아닙니다."
    assert translation.get_language() == "en"


@pytest.mark.parametrize("language", ["fr", "", "ko-kr"])
def test_a_language_the_project_does_not_offer_gets_english(language):
    assert reason_text("region", True, {}, language) == "Your region is covered."


def test_a_missing_parameter_renders_as_nothing_and_an_unknown_code_as_itself():
    assert (
        reason_text("region", False, {}, "en") == "Your region () is not covered by this program."
    )
    assert reason_text("no_such_rule", False, {}, "ko") == "no_such_rule"
