import itertools

import pytest

from compensation.models.choices import Language
from notifications.kinds import KINDS, PERSONAL_URL, PERSONAL_URL_SAMPLE, Channel, sample_context
from notifications.models import NoticeTemplate
from notifications.rendering import render, template_compile, template_problems

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "channel", "language"),
    list(itertools.product(KINDS, Channel.values, Language.values)),
)
def test_every_kind_channel_and_language_has_a_default_that_prints_how_to_verify_it(
    kind, channel, language
):
    template = NoticeTemplate.objects.get(kind=kind, channel=channel, language=language)
    assert template_problems(kind=kind, subject=template.subject, body=template.body) == []
    context = sample_context(kind, language)
    text = render(template_compile(template.body), context)
    assert context["reference"] in text
    assert "/verify/" in text
    if channel == "email":  # an SMS may leave details to the site
        spec = KINDS[kind]
        # Without a personal link, the page's plain address is printed in its place.
        plain = render(
            template_compile(template.body),
            {k: v for k, v in context.items() if k != PERSONAL_URL},
        )
        for name in spec.sample:
            value = context[name]  # written as the template's readers write it
            assert name in spec.conditions or value in text or value in plain
        if PERSONAL_URL in spec.optional:
            assert PERSONAL_URL_SAMPLE in text
        assert render(template_compile(template.subject), context)


def test_an_unknown_variable_is_caught():
    problems = template_problems(
        kind="decision", subject="", body="{{ reference }} {{ verify_url }} {{ claim_refrence }}"
    )
    assert problems
    assert "claim_refrence" in problems[0]


def test_a_variable_used_only_in_a_condition_is_checked_too():
    body = "{% if amount_paid %}x{% endif %}{{ reference }} {{ verify_url }}"
    assert "amount_paid" in template_problems(kind="decision", subject="", body=body)[0]


def test_a_template_without_the_reference_is_refused():
    problems = template_problems(kind="decision", subject="", body="{{ verify_url }}")
    assert any("{{ reference }}" in p for p in problems)


def test_a_syntax_error_is_reported_not_raised():
    problems = template_problems(kind="decision", subject="{% if %}", body="{{ reference }}")
    assert "syntax error" in problems[0]


def test_templates_cannot_reach_site_templates():
    problems = template_problems(
        kind="decision", subject="", body='{% include "base.html" %}{{ reference }}{{ verify_url }}'
    )
    assert problems  # no loaders: including a site template is an error
