"""No silent forfeiture (issue 14): the expiry reminder says how many vouchers and how much is
left and links to the person's page; a new kind tells holders their vouchers' window was
extended.

- voucher_expiry_reminder: the texts 0002 seeded (after 0010's Korean terms) are replaced by
  ones with {{ voucher_count }}, {{ voucher_total }} (the value left) and {{ me_url }}; a
  template an operator reworded is left alone.
- vouchers_extended: new, seeded in every language and channel.
The sender adds reference and verify_url; the footer is the one every notice carries."""

import importlib

from django.db import migrations, models

FOOTER = {
    "en": (
        "Is this message genuine? Open {{ verify_url }} in your browser yourself and enter the "
        "reference {{ reference }}. We never ask for your password, your card number or a payment."
    ),
    "ko": (
        "이 안내가 진짜인지 확인하려면 브라우저에서 {{ verify_url }} 에 직접 접속해 참조번호 "
        "{{ reference }} 를 입력하세요. 저희는 비밀번호, 카드번호, 송금을 절대 요청하지 않습니다."
    ),
    "zh-hans": (
        "想确认本通知是否真实？请自行在浏览器中打开 {{ verify_url }} 并输入参考编号 {{ reference }}。"
        "我们绝不会索要您的密码、银行卡号，也不会要求您付款。"
    ),
}
SMS_CHECK = {
    "en": " Check this message at {{ verify_url }} ref {{ reference }}",
    "ko": " 진위 확인 {{ verify_url }} 참조번호 {{ reference }}",
    "zh-hans": "验证真伪 {{ verify_url }} 参考编号 {{ reference }}",
}
SMS_TAG = {
    "en": "[{{ program_name }}] ",
    "ko": "[{{ program_name }}] ",
    "zh-hans": "【{{ program_name }}】",
}

# kind -> language -> (email subject, email text before the footer, SMS text before the check)
TEMPLATES = {
    "voucher_expiry_reminder": {
        "en": (
            "{{ voucher_total }} left on your vouchers: they expire on {{ expires_on }}",
            "A reminder: you still have {{ voucher_total }} left on {{ voucher_count }} "
            "compensation vouchers from {{ program_name }}. They expire on {{ expires_on }} and "
            "cannot be used after that date.\n\nSee them on your page: {{ me_url }}",
            "{{ voucher_total }} left on your vouchers, which expire on {{ expires_on }}. "
            "{{ me_url }}",
        ),
        "ko": (
            "보상 상품권 잔액 {{ voucher_total }}, {{ expires_on }} 만료 예정",
            "알려드립니다: '{{ program_name }}' 보상 상품권 {{ voucher_count }}장에 "
            "{{ voucher_total }}이(가) 남아 있습니다. {{ expires_on }}에 만료되며 그 이후에는 "
            "사용할 수 없습니다.\n\n내 페이지에서 확인하기: {{ me_url }}",
            "보상 상품권 잔액 {{ voucher_total }}, {{ expires_on }} 만료. 확인 {{ me_url }}",
        ),
        "zh-hans": (
            "您的补偿代金券余额 {{ voucher_total }} 将于 {{ expires_on }} 到期",
            "温馨提示：您在“{{ program_name }}”获得的 {{ voucher_count }} 张补偿代金券还剩 "
            "{{ voucher_total }} 未使用。代金券将于 {{ expires_on }} 到期，到期后无法使用。\n\n"
            "在您的个人页面查看：{{ me_url }}",
            "您的补偿代金券余额 {{ voucher_total }} 将于 {{ expires_on }} 到期。查看 {{ me_url }}",
        ),
    },
    "vouchers_extended": {
        "en": (
            "Your compensation vouchers are now valid until {{ valid_until }}",
            "The vouchers you received from {{ program_name }} can now be used until "
            "{{ valid_until }}. You have {{ voucher_total }} left on {{ voucher_count }} "
            "vouchers.\n\nSee them on your page: {{ me_url }}",
            "Your vouchers ({{ voucher_total }} left) are now valid until {{ valid_until }}. "
            "{{ me_url }}",
        ),
        "ko": (
            "보상 상품권 사용 기한이 {{ valid_until }}까지 연장되었습니다",
            "'{{ program_name }}' 보상 상품권의 사용 기한이 {{ valid_until }}까지 "
            "연장되었습니다. 상품권 {{ voucher_count }}장에 {{ voucher_total }}이(가) 남아 "
            "있습니다.\n\n내 페이지에서 확인하기: {{ me_url }}",
            "보상 상품권 사용 기한 {{ valid_until }}까지 연장 (잔액 {{ voucher_total }}). "
            "확인 {{ me_url }}",
        ),
        "zh-hans": (
            "您的补偿代金券有效期已延长至 {{ valid_until }}",
            "您在“{{ program_name }}”获得的补偿代金券现在可使用至 {{ valid_until }}。"
            "您的 {{ voucher_count }} 张代金券还剩 {{ voucher_total }}。\n\n"
            "在您的个人页面查看：{{ me_url }}",
            "您的补偿代金券（余额 {{ voucher_total }}）有效期已延长至 {{ valid_until }}。"
            "查看 {{ me_url }}",
        ),
    },
}


def _bodies(language, subject, email_text, sms_text):
    return {
        "email": (subject, f"{email_text}\n\n{FOOTER[language]}\n"),
        "sms": ("", f"{SMS_TAG[language]}{sms_text}{SMS_CHECK[language]}"),
    }


def _seeded_reminders():
    """(channel, language) -> (subject, body) as 0002 seeded and 0010 reworded them."""
    defaults = importlib.import_module("notifications.migrations.0002_default_templates")
    terms = importlib.import_module("notifications.migrations.0010_korean_terms")
    seeded = {}
    for kind, channel, language, subject, body in defaults.default_templates():
        if kind != "voucher_expiry_reminder":
            continue
        if language == "ko":
            subject, body = terms.korean_terms(subject), terms.korean_terms(body)
        seeded[(channel, language)] = (subject, body)
    return seeded


def forwards(apps, schema_editor):
    NoticeTemplate = apps.get_model("notifications", "NoticeTemplate")
    seeded = _seeded_reminders()
    for kind, by_language in TEMPLATES.items():
        for language, texts in by_language.items():
            for channel, (subject, body) in _bodies(language, *texts).items():
                template = NoticeTemplate.objects.filter(
                    kind=kind, channel=channel, language=language
                ).first()
                if template is None:
                    NoticeTemplate.objects.create(
                        kind=kind, channel=channel, language=language, subject=subject, body=body
                    )
                elif (template.subject, template.body) == seeded.get((channel, language)):
                    template.subject, template.body = subject, body
                    template.save(update_fields=["subject", "body"])


def backwards(apps, schema_editor):
    NoticeTemplate = apps.get_model("notifications", "NoticeTemplate")
    NoticeTemplate.objects.filter(kind="vouchers_extended").delete()
    for (channel, language), (subject, body) in _seeded_reminders().items():
        NoticeTemplate.objects.filter(
            kind="voucher_expiry_reminder", channel=channel, language=language
        ).update(subject=subject, body=body)


KIND_CHOICES = [
    ("incident_announcement", "Incident announcement"),
    ("voucher_issued", "Vouchers issued"),
    ("claim_acknowledged", "Claim acknowledged"),
    ("info_requested", "Information requested"),
    ("decision", "Decision"),
    ("appeal_outcome", "Appeal outcome"),
    ("voucher_expiry_reminder", "Voucher expiry reminder"),
    ("vouchers_ready", "Vouchers ready (per holder, links to /me/)"),
    ("payout_paid", "Payout paid"),
    ("payout_failed", "Payout failed (links to correct the details)"),
    ("info_reminder", "Information request reminder (before its deadline)"),
    ("pool_settled", "Pro-rata pool settled (final amount and share)"),
    ("vouchers_extended", "Voucher validity extended (per holder)"),
]


class Migration(migrations.Migration):
    dependencies = [("notifications", "0012_loop_kinds")]

    operations = [
        migrations.AlterField(
            model_name=model,
            name="kind",
            field=models.CharField(choices=KIND_CHOICES, max_length=32),
        )
        for model in ("campaign", "notice", "noticetemplate")
    ] + [migrations.RunPython(forwards, backwards)]
