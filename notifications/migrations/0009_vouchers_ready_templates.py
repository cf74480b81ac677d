from django.db import migrations

# "Your vouchers are ready": one notice per holder when an issuance run finishes, with their
# own count, total and dates (the run-holders audience fills them) and a link to /me/. Only
# placeholders for the person's values: the sender adds reference and verify_url.
TEMPLATES = {
    "en": (
        "Your compensation vouchers are ready ({{ program_name }})",
        "As compensation for the incident, {{ voucher_count }} vouchers worth {{ voucher_total }} "
        "in all are now in your account. You can use them from {{ valid_from }}"
        "{% if valid_until %} until {{ valid_until }}{% endif %}. There is nothing to pay and "
        "nothing to fill in.\n\nSee your vouchers: {{ me_url }}",
        "{{ voucher_count }} vouchers worth {{ voucher_total }} are ready, usable from "
        "{{ valid_from }}{% if valid_until %} to {{ valid_until }}{% endif %}. {{ me_url }}",
    ),
    "ko": (
        "보상 이용권이 지급되었습니다 ({{ program_name }})",
        "이번 사고에 대한 보상으로 총 {{ voucher_total }} 상당의 이용권 {{ voucher_count }}장을 "
        "고객님 계정에 지급했습니다. {{ valid_from }}부터"
        "{% if valid_until %} {{ valid_until }}까지{% endif %} 사용하실 수 있습니다. "
        "결제나 별도 입력은 필요 없습니다.\n\n내 이용권 보기: {{ me_url }}",
        "보상 이용권 {{ voucher_count }}장(총 {{ voucher_total }})이 지급되었습니다. "
        "{{ valid_from }}부터{% if valid_until %} {{ valid_until }}까지{% endif %} 사용. {{ me_url }}",
    ),
    "zh-hans": (
        "您的补偿券已发放（{{ program_name }}）",
        "作为对本次事件的补偿，我们已向您的账户发放 {{ voucher_count }} 张补偿券，总价值 "
        "{{ voucher_total }}，自 {{ valid_from }} 起{% if valid_until %}至 {{ valid_until }}{% endif %}"
        "可以使用。无需付款，也无需填写任何信息。\n\n查看您的补偿券：{{ me_url }}",
        "{{ voucher_count }} 张补偿券（总价值 {{ voucher_total }}）已发放，{{ valid_from }} 起"
        "{% if valid_until %}至 {{ valid_until }}{% endif %}可用。{{ me_url }}",
    ),
}
# Every notice prints its reference and where to check it, worded as the seeded ones
# (0002_default_templates).
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
    for language, (subject, email_body, sms_body) in TEMPLATES.items():
        NoticeTemplate.objects.get_or_create(
            kind="vouchers_ready",
            channel="email",
            language=language,
            defaults={"subject": subject, "body": f"{email_body}\n\n{FOOTER[language]}\n"},
        )
        NoticeTemplate.objects.get_or_create(
            kind="vouchers_ready",
            channel="sms",
            language=language,
            defaults={
                "subject": "",
                "body": f"{SMS_TAG[language]}{sms_body}{SMS_CHECK[language]}",
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("notifications", "NoticeTemplate").objects.filter(kind="vouchers_ready").delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0008_campaign_dedupe_vouchers_ready")]
    operations = [migrations.RunPython(seed, unseed)]
