from django.db import migrations, models

# Payout notices (payouts/notices.py): paid, and failed with the link to correct the details.
# Worded as the seeded ones; the sender adds reference and verify_url.
TEMPLATES = {
    "payout_paid": {
        "en": (
            "Your compensation has been paid ({{ program_name }})",
            "We paid {{ amount }} for your claim {{ claim_reference }} on {{ paid_on }}: "
            "{{ method }}. It can take a working day to show in your account.\n\n"
            "Your claim: {{ claim_url }}",
            "{{ amount }} paid for claim {{ claim_reference }} on {{ paid_on }} ({{ method }}).",
        ),
        "ko": (
            "보상금이 지급되었습니다 ({{ program_name }})",
            "청구 {{ claim_reference }}에 대한 보상금 {{ amount }}을(를) {{ paid_on }}에 지급했습니다: "
            "{{ method }}. 계좌에 표시되기까지 영업일 하루가 걸릴 수 있습니다.\n\n"
            "내 청구 보기: {{ claim_url }}",
            "청구 {{ claim_reference }} 보상금 {{ amount }} {{ paid_on }} 지급({{ method }}).",
        ),
        "zh-hans": (
            "您的补偿款已支付（{{ program_name }}）",
            "我们已于 {{ paid_on }} 为您的申请 {{ claim_reference }} 支付 {{ amount }}：{{ method }}。"
            "到账可能需要一个工作日。\n\n查看您的申请：{{ claim_url }}",
            "申请 {{ claim_reference }} 的补偿款 {{ amount }} 已于 {{ paid_on }} 支付（{{ method }}）。",
        ),
    },
    "payout_failed": {
        "en": (
            "We could not pay your compensation ({{ program_name }})",
            "The payment of {{ amount }} for your claim {{ claim_reference }} did not go through "
            "({{ method }}). Please check your payment details and correct them here; we pay "
            "again once they are corrected:\n\n{{ fix_url }}",
            "Payment of {{ amount }} for claim {{ claim_reference }} failed. Correct your "
            "details: {{ fix_url }}",
        ),
        "ko": (
            "보상금을 지급하지 못했습니다 ({{ program_name }})",
            "청구 {{ claim_reference }}에 대한 보상금 {{ amount }} 지급이 처리되지 않았습니다"
            "({{ method }}). 아래에서 지급 정보를 확인하고 바로잡아 주세요. 정보가 수정되면 다시 "
            "지급합니다.\n\n{{ fix_url }}",
            "청구 {{ claim_reference }} 보상금 {{ amount }} 지급 실패. 지급 정보 수정: {{ fix_url }}",
        ),
        "zh-hans": (
            "我们未能向您支付补偿款（{{ program_name }}）",
            "您的申请 {{ claim_reference }} 的补偿款 {{ amount }} 未能支付成功（{{ method }}）。"
            "请在以下页面核对并更正您的收款信息，更正后我们会重新支付：\n\n{{ fix_url }}",
            "申请 {{ claim_reference }} 的补偿款 {{ amount }} 支付失败。请更正收款信息：{{ fix_url }}",
        ),
    },
}
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


def seed(apps, schema_editor):
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


def unseed(apps, schema_editor):
    apps.get_model("notifications", "NoticeTemplate").objects.filter(
        kind__in=list(TEMPLATES)
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0010_korean_terms"),
    ]

    operations = [
        migrations.AlterField(
            model_name="campaign",
            name="kind",
            field=models.CharField(
                choices=[
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
                ],
                max_length=32,
            ),
        ),
        migrations.AlterField(
            model_name="notice",
            name="kind",
            field=models.CharField(
                choices=[
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
                ],
                max_length=32,
            ),
        ),
        migrations.AlterField(
            model_name="noticetemplate",
            name="kind",
            field=models.CharField(
                choices=[
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
                ],
                max_length=32,
            ),
        ),
        migrations.RunPython(seed, unseed),
    ]
