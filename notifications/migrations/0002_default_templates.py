"""Default text for every notice kind, channel and language. Operators edit them in the admin;
this migration only creates what is missing. Every text prints the notice's reference and
where to check it, because the real notices of past breach settlements were taken for phishing.
"""

from django.db import migrations

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
SMS_TAG = {"en": "[{{ program_name }}] ", "ko": "[{{ program_name }}] ", "zh-hans": "【{{ program_name }}】"}

# kind -> language -> (email subject, email text before the footer, SMS text before the check)
TEXTS = {
    "incident_announcement": {
        "en": (
            "Important: an incident affected your data ({{ program_name }})",
            "We are sorry to tell you that your personal data was affected by an incident: {{ incident_title }}.\n\n"
            "We have set up a compensation program, {{ program_name }}. What is given to everyone affected comes "
            "without any request from you. If you had other losses, you can file a claim on our site until {{ claim_deadline }}.",
            "Your data was affected by an incident. Claims are open until {{ claim_deadline }}.",
        ),
        "ko": (
            "[중요] 개인정보 관련 사고 안내 ({{ program_name }})",
            "고객님의 개인정보가 다음 사고의 영향을 받았음을 알려드리게 되어 죄송합니다: {{ incident_title }}.\n\n"
            "저희는 보상 프로그램 '{{ program_name }}'을(를) 마련했습니다. 피해를 입은 모든 분께 드리는 보상은 별도 신청 없이 "
            "지급됩니다. 그 밖의 손해가 있으셨다면 {{ claim_deadline }}까지 저희 사이트에서 보상을 신청하실 수 있습니다.",
            "고객님의 개인정보가 사고의 영향을 받았습니다. 보상 신청은 {{ claim_deadline }}까지입니다.",
        ),
        "zh-hans": (
            "重要通知：您的个人信息受到安全事件影响（{{ program_name }}）",
            "很抱歉地通知您，您的个人信息受到了以下事件的影响：{{ incident_title }}。\n\n"
            "我们已设立补偿计划“{{ program_name }}”。向所有受影响者提供的补偿无需申请即可获得。"
            "如您还有其他损失，可在 {{ claim_deadline }} 之前在我们的网站上提出申请。",
            "您的个人信息受到安全事件影响。补偿申请截止：{{ claim_deadline }}。",
        ),
    },
    "voucher_issued": {
        "en": (
            "Your compensation vouchers are ready ({{ program_name }})",
            "As compensation for the incident, we have added vouchers worth {{ voucher_total }} in all to your "
            "account. You can use them from {{ valid_from }}. There is nothing to pay and nothing to fill in: "
            "they are already in your account.",
            "Vouchers worth {{ voucher_total }} are in your account, usable from {{ valid_from }}.",
        ),
        "ko": (
            "보상 이용권이 지급되었습니다 ({{ program_name }})",
            "이번 사고에 대한 보상으로 총 {{ voucher_total }} 상당의 이용권을 고객님 계정에 지급했습니다. "
            "{{ valid_from }}부터 사용하실 수 있습니다. 결제나 별도 입력은 필요 없으며, 이용권은 이미 계정에 들어 있습니다.",
            "총 {{ voucher_total }} 상당의 보상 이용권이 계정에 지급되었습니다({{ valid_from }}부터 사용).",
        ),
        "zh-hans": (
            "您的补偿券已发放（{{ program_name }}）",
            "作为对本次事件的补偿，我们已向您的账户发放总价值 {{ voucher_total }} 的优惠券，自 {{ valid_from }} 起可以使用。"
            "无需付款，也无需填写任何信息：优惠券已在您的账户中。",
            "总价值 {{ voucher_total }} 的补偿券已发放至您的账户，{{ valid_from }} 起可用。",
        ),
    },
    "claim_acknowledged": {
        "en": (
            "We have received your claim {{ claim_reference }}",
            "Thank you. We have received your claim {{ claim_reference }} under {{ program_name }}. We will review "
            "it and write to you when there is a decision or if we need more information. You can see its status "
            "on our site at any time with the claim reference.",
            "We received your claim {{ claim_reference }}.",
        ),
        "ko": (
            "보상 신청 {{ claim_reference }}이(가) 접수되었습니다",
            "감사합니다. '{{ program_name }}' 보상 신청 {{ claim_reference }}이(가) 접수되었습니다. 검토 후 결정이 나거나 "
            "추가 자료가 필요하면 다시 연락드리겠습니다. 신청 번호로 언제든지 저희 사이트에서 진행 상황을 확인하실 수 있습니다.",
            "보상 신청 {{ claim_reference }}이(가) 접수되었습니다.",
        ),
        "zh-hans": (
            "我们已收到您的申请 {{ claim_reference }}",
            "感谢您。我们已收到您在“{{ program_name }}”下提交的申请 {{ claim_reference }}。我们将进行审核，"
            "在作出决定或需要更多材料时与您联系。您可以随时凭申请编号在我们的网站上查看进度。",
            "已收到您的申请 {{ claim_reference }}。",
        ),
    },
    "info_requested": {
        "en": (
            "We need more information for claim {{ claim_reference }}",
            "To decide on your claim {{ claim_reference }} under {{ program_name }}, we need more information "
            "from you. Please open the claim on our site and answer by {{ respond_by }}. If we do not hear from "
            "you by then, we will decide on what we have.",
            "We need more information for claim {{ claim_reference }} by {{ respond_by }}. Please answer on our site.",
        ),
        "ko": (
            "보상 신청 {{ claim_reference }}에 추가 자료가 필요합니다",
            "'{{ program_name }}' 보상 신청 {{ claim_reference }}을(를) 결정하려면 추가 자료가 필요합니다. 저희 사이트에서 "
            "신청 건을 열어 {{ respond_by }}까지 답변해 주세요. 그때까지 답변이 없으면 현재 자료로 결정합니다.",
            "신청 {{ claim_reference }}에 추가 자료가 필요합니다. {{ respond_by }}까지 사이트에서 답변해 주세요.",
        ),
        "zh-hans": (
            "您的申请 {{ claim_reference }} 需要补充材料",
            "为对您在“{{ program_name }}”下的申请 {{ claim_reference }} 作出决定，我们需要您补充材料。请在 {{ respond_by }} "
            "之前在我们的网站上打开该申请并作答。如届时仍未收到答复，我们将根据现有材料作出决定。",
            "申请 {{ claim_reference }} 需在 {{ respond_by }} 前通过网站补充材料。",
        ),
    },
    "decision": {
        "en": (
            "A decision on your claim {{ claim_reference }}",
            "We have decided on your claim {{ claim_reference }} under {{ program_name }}: {{ decision_summary }}.\n\n"
            "You can read the reasons on our site. If you disagree, you can appeal there within the period shown "
            "with the decision.",
            "Decision on claim {{ claim_reference }}: {{ decision_summary }}. Reasons and appeal on our site.",
        ),
        "ko": (
            "보상 신청 {{ claim_reference }} 결정 안내",
            "'{{ program_name }}' 보상 신청 {{ claim_reference }}에 대한 결정: {{ decision_summary }}.\n\n"
            "결정 사유는 저희 사이트에서 확인하실 수 있습니다. 동의하지 않으시면 결정과 함께 안내된 기간 안에 사이트에서 "
            "이의를 신청하실 수 있습니다.",
            "신청 {{ claim_reference }} 결정: {{ decision_summary }}. 사유 확인과 이의신청은 사이트에서 하실 수 있습니다.",
        ),
        "zh-hans": (
            "关于您的申请 {{ claim_reference }} 的决定",
            "我们已对您在“{{ program_name }}”下的申请 {{ claim_reference }} 作出决定：{{ decision_summary }}。\n\n"
            "您可以在我们的网站上查看理由。如有异议，可在决定中注明的期限内通过网站提出申诉。",
            "申请 {{ claim_reference }} 的决定：{{ decision_summary }}。理由及申诉请见网站。",
        ),
    },
    "appeal_outcome": {
        "en": (
            "The outcome of your appeal on claim {{ claim_reference }}",
            "We have reviewed your appeal on claim {{ claim_reference }} under {{ program_name }}. "
            "The outcome: {{ outcome_summary }}.\n\nThe reasons are on our site with your claim.",
            "Appeal on claim {{ claim_reference }}: {{ outcome_summary }}. Reasons on our site.",
        ),
        "ko": (
            "보상 신청 {{ claim_reference }} 이의신청 결과 안내",
            "'{{ program_name }}' 보상 신청 {{ claim_reference }}에 대한 이의신청을 검토했습니다. "
            "결과: {{ outcome_summary }}.\n\n사유는 저희 사이트의 신청 건에서 확인하실 수 있습니다.",
            "신청 {{ claim_reference }} 이의신청 결과: {{ outcome_summary }}. 사유는 사이트에서 확인하세요.",
        ),
        "zh-hans": (
            "您就申请 {{ claim_reference }} 提出的申诉结果",
            "我们已审核您就“{{ program_name }}”下的申请 {{ claim_reference }} 提出的申诉。结果：{{ outcome_summary }}。\n\n"
            "理由可在我们网站上的申请页面查看。",
            "申请 {{ claim_reference }} 的申诉结果：{{ outcome_summary }}。理由请见网站。",
        ),
    },
    "voucher_expiry_reminder": {
        "en": (
            "Your compensation vouchers expire on {{ expires_on }}",
            "A reminder: you still have compensation vouchers from {{ program_name }} worth {{ voucher_total }}. "
            "They expire on {{ expires_on }} and cannot be used after that date.",
            "Your vouchers worth {{ voucher_total }} expire on {{ expires_on }}.",
        ),
        "ko": (
            "보상 이용권이 {{ expires_on }}에 만료됩니다",
            "알려드립니다: '{{ program_name }}' 보상 이용권 {{ voucher_total }} 상당이 아직 남아 있습니다. "
            "{{ expires_on }}에 만료되며 그 이후에는 사용할 수 없습니다.",
            "보상 이용권 {{ voucher_total }} 상당이 {{ expires_on }}에 만료됩니다.",
        ),
        "zh-hans": (
            "您的补偿券将于 {{ expires_on }} 到期",
            "温馨提示：您还有“{{ program_name }}”发放的价值 {{ voucher_total }} 的补偿券未使用。"
            "补偿券将于 {{ expires_on }} 到期，到期后无法使用。",
            "您价值 {{ voucher_total }} 的补偿券将于 {{ expires_on }} 到期。",
        ),
    },
}


def default_templates():
    for kind, by_language in TEXTS.items():
        for language, (subject, email_text, sms_text) in by_language.items():
            yield kind, "email", language, subject, f"{email_text}\n\n{FOOTER[language]}\n"
            yield kind, "sms", language, "", f"{SMS_TAG[language]}{sms_text}{SMS_CHECK[language]}"


def seed(apps, schema_editor):
    NoticeTemplate = apps.get_model("notifications", "NoticeTemplate")
    for kind, channel, language, subject, body in default_templates():
        NoticeTemplate.objects.get_or_create(
            kind=kind, channel=channel, language=language,
            defaults={"subject": subject, "body": body},
        )


def unseed(apps, schema_editor):
    NoticeTemplate = apps.get_model("notifications", "NoticeTemplate")
    for kind, channel, language, subject, body in default_templates():
        NoticeTemplate.objects.filter(
            kind=kind, channel=channel, language=language, subject=subject, body=body
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
