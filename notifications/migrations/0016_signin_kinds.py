"""Sign-in that cannot be used against people (issue 18): the sign-in code through the outbox
and a personal link, each seeded in every language and channel.

- signin_code: the code (sealed in the outbox) and how many minutes it works.
- personal_link: a link that signs its one recipient in once (sealed), and until when.
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
    "signin_code": {
        "en": (
            "Your sign-in code",
            "Your sign-in code for {{ program_name }} is {{ code }}.\n\n"
            "It works once and expires in {{ minutes }} minutes. We will never ask you for this "
            "code by phone or message. If you did not ask for it, ignore this email: nobody can "
            "sign in without the code.",
            "Sign-in code {{ code }} ({{ minutes }} min). Never share it.",
        ),
        "ko": (
            "로그인 코드 안내",
            "'{{ program_name }}' 로그인 코드는 {{ code }} 입니다.\n\n"
            "이 코드는 한 번만 사용할 수 있으며 {{ minutes }}분 후에 만료됩니다. 저희는 전화나 "
            "메시지로 이 코드를 절대 요청하지 않습니다. 직접 요청하지 않으셨다면 이 메일을 "
            "무시하세요. 코드 없이는 누구도 로그인할 수 없습니다.",
            "로그인 코드 {{ code }} ({{ minutes }}분 유효). 타인에게 알려주지 마세요.",
        ),
        "zh-hans": (
            "您的登录验证码",
            "您在“{{ program_name }}”的登录验证码为 {{ code }}。\n\n"
            "该验证码仅可使用一次，{{ minutes }} 分钟后失效。我们绝不会通过电话或短信向您索要"
            "此验证码。如果这不是您本人的请求，请忽略本邮件：没有验证码，任何人都无法登录。",
            "登录验证码 {{ code }}（{{ minutes }} 分钟内有效），请勿告诉他人。",
        ),
    },
    "personal_link": {
        "en": (
            "Your personal link to {{ program_name }}",
            "Open your page for {{ program_name }} with this personal link. It signs you in "
            "once, works until {{ valid_until }} and is for you alone: do not forward it.\n\n"
            "{{ personal_url }}\n\n"
            "Once it has been used or has expired, the link opens the sign-in page, where we "
            "send you a code instead.",
            "Your personal link (once, until {{ valid_until }}): {{ personal_url }}",
        ),
        "ko": (
            "'{{ program_name }}' 개인 링크 안내",
            "아래 개인 링크를 열면 로그인된 상태로 '{{ program_name }}' 내 페이지가 열립니다. "
            "이 링크는 한 번만 사용할 수 있고 {{ valid_until }}까지 유효하며 받는 분 본인 "
            "전용입니다. 다른 사람에게 전달하지 마세요.\n\n{{ personal_url }}\n\n"
            "이미 사용했거나 만료된 링크는 로그인 페이지로 이동하며, 그곳에서 로그인 코드를 "
            "받으실 수 있습니다.",
            "개인 링크(1회용, {{ valid_until }}까지): {{ personal_url }}",
        ),
        "zh-hans": (
            "您在“{{ program_name }}”的个人链接",
            "打开下面的个人链接，即可以已登录状态进入您在“{{ program_name }}”的页面。该链接仅可"
            "使用一次，有效期至 {{ valid_until }}，仅供您本人使用，请勿转发。\n\n"
            "{{ personal_url }}\n\n"
            "链接使用过或过期后，将转到登录页面，您可以在那里获取验证码登录。",
            "个人链接（仅可使用一次，有效期至 {{ valid_until }}）：{{ personal_url }}",
        ),
    },
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
]


class Migration(migrations.Migration):
    dependencies = [("notifications", "0015_campaign_reach")]

    operations = [
        migrations.AlterField(
            model_name=model,
            name="kind",
            field=models.CharField(choices=KIND_CHOICES, max_length=32),
        )
        for model in ("campaign", "notice", "noticetemplate")
    ] + [migrations.RunPython(seed, unseed)]
