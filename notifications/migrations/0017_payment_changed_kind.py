"""PAYMENT_CHANGED: the warning sent to a claim's address each time its payment choice is set
or changed on the claim's payment page (claims/services/payment.py), with the account masked
and a link back to the payment page. Seeded in every language and channel; the sender adds
reference and verify_url, and the footer is the one every notice carries."""

import importlib

from django.db import migrations, models

_expiry = importlib.import_module("notifications.migrations.0013_voucher_expiry_kinds")

# kind -> language -> (email subject, email text before the footer, SMS text before the check)
TEMPLATES = {
    "payment_changed": {
        "en": (
            "The payment details of your claim {{ claim_reference }} were changed",
            "The way we pay your claim {{ claim_reference }} with {{ program_name }} was set or "
            "changed on {{ changed_at }}. It is now: {{ method }}.\n\nIf you made this change, "
            "there is nothing to do. If you did not, someone may have signed in as you: change "
            "it back on your claim's payment page at once and contact us. {{ claim_url }}",
            "Payment details of claim {{ claim_reference }} changed {{ changed_at }}: "
            "{{ method }}. Not you? {{ claim_url }}",
        ),
        "ko": (
            "청구 {{ claim_reference }}의 지급 정보가 변경되었습니다",
            "'{{ program_name }}' 청구 {{ claim_reference }}의 지급 방법이 {{ changed_at }}에 "
            "등록 또는 변경되었습니다. 현재 지급 정보: {{ method }}\n\n본인이 변경하셨다면 따로 "
            "하실 일은 없습니다. 본인이 변경하지 않으셨다면 다른 사람이 로그인했을 수 있으니, "
            "즉시 지급 정보 페이지에서 다시 변경하시고 저희에게 연락해 주세요. {{ claim_url }}",
            "청구 {{ claim_reference }} 지급 정보 변경({{ changed_at }}): {{ method }}. "
            "본인이 아니면 {{ claim_url }}",
        ),
        "zh-hans": (
            "您的补偿申请 {{ claim_reference }} 的收款信息已更改",
            "您在“{{ program_name }}”的补偿申请 {{ claim_reference }} 的收款方式已于 "
            "{{ changed_at }} 设置或更改，现为：{{ method }}。\n\n如果是您本人操作，无需任何处理。"
            "如果不是，可能有人冒用您的身份登录：请立即在申请的收款页面改回，并与我们联系。"
            "{{ claim_url }}",
            "补偿申请 {{ claim_reference }} 收款信息已于 {{ changed_at }} 更改：{{ method }}。"
            "非本人操作？{{ claim_url }}",
        ),
    },
}


def forwards(apps, schema_editor):
    NoticeTemplate = apps.get_model("notifications", "NoticeTemplate")
    for kind, by_language in TEMPLATES.items():
        for language, texts in by_language.items():
            for channel, (subject, body) in _expiry._bodies(language, *texts).items():
                NoticeTemplate.objects.get_or_create(
                    kind=kind,
                    channel=channel,
                    language=language,
                    defaults={"subject": subject, "body": body},
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
    ("signin_code", "Sign-in code (priority lane)"),
    ("personal_link", "Personal link (opens the person's page signed in)"),
    ("inquiry_reply", "Answer to an inquiry (the support desk)"),
    ("claim_message", "Message from staff about a claim"),
    ("vouchers_extended", "Voucher validity extended (per holder)"),
    ("payment_changed", "Payment details changed (a warning to the claimant)"),
]


class Migration(migrations.Migration):
    dependencies = [("notifications", "0016_signin_kinds")]

    operations = [
        migrations.AlterField(
            model_name=model,
            name="kind",
            field=models.CharField(choices=KIND_CHOICES, max_length=32),
        )
        for model in ("campaign", "notice", "noticetemplate")
    ] + [migrations.RunPython(forwards, backwards)]
