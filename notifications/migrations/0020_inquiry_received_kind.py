"""INQUIRY_RECEIVED: the acknowledgement of a question sent from /me/ or the program's page
(support/services/inquiries.py), with the inquiry's reference and the moment the answer is due
by (the SLA), to the email or phone the question is answered at. Seeded in every language and
channel; the sender adds reference and verify_url, and the footer is the one every notice
carries, so the person can check it on the "is this notice genuine?" page."""

import importlib

from django.db import migrations, models

_expiry = importlib.import_module("notifications.migrations.0013_voucher_expiry_kinds")

# kind -> language -> (email subject, email text before the footer, SMS text before the check)
TEMPLATES = {
    "inquiry_received": {
        "en": (
            "We have your question {{ inquiry_reference }}",
            "Thank you for your question to {{ program_name }}. Its reference is "
            "{{ inquiry_reference }}.\n\nA member of our support team reads it and answers "
            "you at this address by {{ answer_by }} at the latest. Keep the reference: give it "
            "if you call or write to us about this question; our answer will carry it too.",
            "We have your question {{ inquiry_reference }}; we answer by {{ answer_by }}.",
        ),
        "ko": (
            "문의 {{ inquiry_reference }}이(가) 접수되었습니다",
            "'{{ program_name }}'에 문의해 주셔서 감사합니다. 문의번호는 {{ inquiry_reference }}"
            "입니다.\n\n상담원이 내용을 확인하고 늦어도 {{ answer_by }}까지 이 연락처로 "
            "답변드립니다. 이 문의에 관해 전화하거나 글을 남기실 때 문의번호를 알려 주세요. "
            "답변에도 같은 번호가 적혀 있습니다.",
            "문의 {{ inquiry_reference }} 접수, {{ answer_by }}까지 답변드립니다.",
        ),
        "zh-hans": (
            "我们已收到您的咨询 {{ inquiry_reference }}",
            "感谢您向“{{ program_name }}”提出咨询，咨询编号为 {{ inquiry_reference }}。\n\n"
            "客服人员会阅读您的问题，并最迟于 {{ answer_by }} 前通过此联系方式答复您。"
            "如就此问题来电或来信，请提供此编号；我们的答复也会注明此编号。",
            "已收到咨询 {{ inquiry_reference }}，将于 {{ answer_by }} 前答复。",
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
    ("inquiry_received", "Inquiry received (the support desk's acknowledgement)"),
]


class Migration(migrations.Migration):
    dependencies = [("notifications", "0019_reference_new_faster")]

    operations = [
        migrations.AlterField(
            model_name=model,
            name="kind",
            field=models.CharField(choices=KIND_CHOICES, max_length=32),
        )
        for model in ("campaign", "notice", "noticetemplate")
    ] + [migrations.RunPython(forwards, backwards)]
