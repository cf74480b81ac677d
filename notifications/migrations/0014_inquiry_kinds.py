"""The support desk writes to people (issue 15): two new kinds, seeded in every language and
channel.

- inquiry_reply: the answer to an inquiry, {{ reply_text }} as the staff member wrote it (or a
  standard reply in the person's language), with the inquiry's reference.
- claim_message: staff writing about a claim at any time, {{ message_text }}, with the claim's
  reference and its link.
The sender adds reference and verify_url; the footer is the one every notice carries."""

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
    "inquiry_reply": {
        "en": (
            "Our answer to your question {{ inquiry_reference }}",
            "Thank you for your question to {{ program_name }} (reference "
            "{{ inquiry_reference }}). Our answer:\n\n{{ reply_text }}\n\n"
            "If you have another question, you can ask it on the program's page; give this "
            "reference if it is about the same matter.",
            "Answer to {{ inquiry_reference }}: {{ reply_text }}",
        ),
        "ko": (
            "문의 {{ inquiry_reference }}에 대한 답변입니다",
            "'{{ program_name }}'에 문의해 주셔서 감사합니다(문의번호 {{ inquiry_reference }}). "
            "답변드립니다.\n\n{{ reply_text }}\n\n"
            "다른 문의가 있으시면 프로그램 페이지에서 남겨 주세요. 같은 내용이라면 이 문의번호를 "
            "함께 알려 주세요.",
            "문의 {{ inquiry_reference }} 답변: {{ reply_text }}",
        ),
        "zh-hans": (
            "关于您的咨询 {{ inquiry_reference }} 的答复",
            "感谢您向“{{ program_name }}”提出咨询（咨询编号 {{ inquiry_reference }}）。我们的答复"
            "如下：\n\n{{ reply_text }}\n\n如有其他问题，请在计划页面提出；如涉及同一事项，请注明"
            "此编号。",
            "咨询 {{ inquiry_reference }} 答复：{{ reply_text }}",
        ),
    },
    "claim_message": {
        "en": (
            "A message about your claim {{ claim_reference }}",
            "We are writing to you about your claim {{ claim_reference }} under "
            "{{ program_name }}:\n\n{{ message_text }}\n\n"
            "Your claim and where it stands: {{ claim_url }}",
            "About claim {{ claim_reference }}: {{ message_text }} {{ claim_url }}",
        ),
        "ko": (
            "청구 {{ claim_reference }} 관련 안내",
            "'{{ program_name }}' 청구 {{ claim_reference }}에 관해 알려드립니다.\n\n"
            "{{ message_text }}\n\n청구 내용과 진행 상황: {{ claim_url }}",
            "청구 {{ claim_reference }} 안내: {{ message_text }} {{ claim_url }}",
        ),
        "zh-hans": (
            "关于您的申请 {{ claim_reference }} 的消息",
            "关于您在“{{ program_name }}”下的申请 {{ claim_reference }}，我们通知如下：\n\n"
            "{{ message_text }}\n\n申请详情及进度：{{ claim_url }}",
            "申请 {{ claim_reference }}：{{ message_text }} {{ claim_url }}",
        ),
    },
}


def forwards(apps, schema_editor):
    NoticeTemplate = apps.get_model("notifications", "NoticeTemplate")
    for kind, by_language in TEMPLATES.items():
        for language, (subject, email_body, sms_body) in by_language.items():
            NoticeTemplate.objects.get_or_create(
                kind=kind,
                channel="email",
                language=language,
                defaults={"subject": subject, "body": f"{email_body}\n\n{FOOTER[language]}\n"},
            )
            NoticeTemplate.objects.get_or_create(
                kind=kind,
                channel="sms",
                language=language,
                defaults={
                    "subject": "",
                    "body": f"{SMS_TAG[language]}{sms_body}{SMS_CHECK[language]}",
                },
            )


def backwards(apps, schema_editor):
    apps.get_model("notifications", "NoticeTemplate").objects.filter(
        kind__in=list(TEMPLATES)
    ).delete()


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
    ("inquiry_reply", "Answer to an inquiry (the support desk)"),
    ("claim_message", "Message from staff about a claim"),
    ("vouchers_extended", "Voucher validity extended (per holder)"),
]


class Migration(migrations.Migration):
    dependencies = [("notifications", "0013_voucher_expiry_kinds")]

    operations = [
        migrations.AlterField(
            model_name=model,
            name="kind",
            field=models.CharField(choices=KIND_CHOICES, max_length=32),
        )
        for model in ("campaign", "notice", "noticetemplate")
    ] + [migrations.RunPython(forwards, backwards)]
