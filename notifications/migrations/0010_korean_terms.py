"""One Korean word each for a voucher and a claim in the notices, as on the pages: 상품권 (not
이용권 or 바우처) and 청구 (not 보상 신청). Rewrites those phrases in the Korean templates,
including ones an operator edited; 이의신청 (an appeal) is left alone."""

import re

from django.db import migrations

# Applied in order; each pattern is specific enough not to touch other wording.
REPLACEMENTS = [
    (r"보상 이용권", "보상 상품권"),
    (r"이용권", "상품권"),
    (r"바우처", "상품권"),
    (r"보상 신청 (\{\{ ?claim_reference)", r"청구 \1"),
    (r"(?<!이의)신청 (\{\{ ?claim_reference)", r"청구 \1"),
    (r"보상 신청은", "청구는"),
    (r"보상을 신청하실", "보상을 청구하실"),
    (r"별도 신청 없이", "별도 청구 없이"),
    (r"(?<!이의)신청 (번호|건)", r"청구 \1"),
]


def korean_terms(text: str) -> str:
    for pattern, replacement in REPLACEMENTS:
        text = re.sub(pattern, replacement, text)
    return text


def forwards(apps, schema_editor):
    NoticeTemplate = apps.get_model("notifications", "NoticeTemplate")
    for template in NoticeTemplate.objects.filter(language="ko"):
        subject, body = korean_terms(template.subject), korean_terms(template.body)
        if (subject, body) != (template.subject, template.body):
            template.subject, template.body = subject, body
            template.save(update_fields=["subject", "body"])


class Migration(migrations.Migration):
    dependencies = [("notifications", "0009_vouchers_ready_templates")]
    # Not reversed: the old words were the inconsistency.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
