"""Every loop closes (issue 18): the reminder before an information deadline, the pool's
settlement, and decision notices that link to the claim and say how to appeal and by when.

- New kinds, seeded in every language and channel: info_reminder, pool_settled.
- decision and appeal_outcome: the seeded sentence that sent people to "our site" is reworded
  to the claim's own link ({{ claim_url }}) and the appeal deadline ({{ appeal_by }}); a
  template an operator reworded gets the link paragraph before its footer instead.
- info_requested: the sentence on what happens without an answer follows the policy's rule
  ({{ on_no_answer }}), where the seeded sentence is still there.
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

# What happens when nobody answers, as the policy says (info_requests.on_no_answer).
IF_NO_ANSWER = {
    "en": (
        '{% if on_no_answer == "deny" %}If we do not hear from you by then, your claim will be '
        "closed as not approved, for lack of an answer.{% else %}If we do not hear from you by "
        "then, we will decide on what we have.{% endif %}"
    ),
    "ko": (
        '{% if on_no_answer == "deny" %}그때까지 답변이 없으면 답변이 없다는 사유로 청구가 '
        "승인되지 않은 것으로 종결됩니다.{% else %}그때까지 답변이 없으면 현재 자료로 "
        "결정합니다.{% endif %}"
    ),
    "zh-hans": (
        '{% if on_no_answer == "deny" %}如届时仍未收到答复，您的申请将因未答复而不予批准。'
        "{% else %}如届时仍未收到答复，我们将根据现有材料作出决定。{% endif %}"
    ),
}
# The sentence 0002 seeded in info_requested's email (after 0010 in Korean).
IF_NO_ANSWER_OLD = {
    "en": "If we do not hear from you by then, we will decide on what we have.",
    "ko": "그때까지 답변이 없으면 현재 자료로 결정합니다.",
    "zh-hans": "如届时仍未收到答复，我们将根据现有材料作出决定。",
}

# kind -> language -> (email subject, email text before the footer, SMS text before the check)
TEMPLATES = {
    "info_reminder": {
        "en": (
            "Reminder: we still need your answer for claim {{ claim_reference }}",
            "We asked you for more information to decide on your claim {{ claim_reference }} "
            "under {{ program_name }}, and we have not received it yet. Please answer by "
            "{{ respond_by }}:\n\n{{ claim_url }}\n\n" + IF_NO_ANSWER["en"],
            "Reminder: claim {{ claim_reference }} needs your answer by {{ respond_by }}. "
            "{{ claim_url }}",
        ),
        "ko": (
            "[알림] 청구 {{ claim_reference }}에 대한 답변을 기다리고 있습니다",
            "'{{ program_name }}' 청구 {{ claim_reference }}을(를) 결정하기 위해 추가 자료를 "
            "요청드렸으나 아직 받지 못했습니다. {{ respond_by }}까지 답변해 주세요.\n\n"
            "답변하기: {{ claim_url }}\n\n" + IF_NO_ANSWER["ko"],
            "[알림] 청구 {{ claim_reference }} 추가 자료 답변 기한 {{ respond_by }}. "
            "답변하기 {{ claim_url }}",
        ),
        "zh-hans": (
            "提醒：您的申请 {{ claim_reference }} 仍在等待您的答复",
            "为对您在“{{ program_name }}”下的申请 {{ claim_reference }} 作出决定，我们请您补充"
            "材料，但尚未收到您的答复。请在 {{ respond_by }} 之前作答：\n\n{{ claim_url }}\n\n"
            + IF_NO_ANSWER["zh-hans"],
            "提醒：申请 {{ claim_reference }} 需在 {{ respond_by }} 前补充材料。{{ claim_url }}",
        ),
    },
    "pool_settled": {
        "en": (
            "Your final compensation amount for claim {{ claim_reference }}",
            "Claims under {{ program_name }} were paid from a shared fund, which has now been "
            "divided.\n\nYour approved amount: {{ entitled_amount }}\n"
            "Your final amount: {{ final_amount }}\n\n"
            "{% if reduced %}The fund holds {{ pool_amount }} and the approved claims came to "
            "{{ entitled_total }} in all, so every approved amount is paid at the same share: "
            "{{ pool_share }} (the fund divided by the total approved). Each amount is rounded "
            "down to the unit, and the few units left over go one each to the largest "
            "remainders, so that the amounts add up to the fund exactly."
            "{% else %}The fund of {{ pool_amount }} covers every approved claim "
            "({{ entitled_total }} in all), so you are paid your whole approved amount."
            "{% endif %}\n\nHow and when it is paid is on your claim's page: {{ claim_url }}",
            "Claim {{ claim_reference }}: final amount {{ final_amount }} "
            "({{ pool_share }} of {{ entitled_amount }}). {{ claim_url }}",
        ),
        "ko": (
            "청구 {{ claim_reference }}의 최종 보상금 안내",
            "'{{ program_name }}' 청구는 공동 기금에서 지급되며, 이제 기금 배분이 "
            "확정되었습니다.\n\n승인 금액: {{ entitled_amount }}\n최종 금액: {{ final_amount }}\n\n"
            "{% if reduced %}기금은 {{ pool_amount }}이고 승인된 청구는 모두 "
            "{{ entitled_total }}이므로, 모든 승인 금액이 같은 비율인 {{ pool_share }}(기금 ÷ "
            "승인 총액)로 지급됩니다. 각 금액의 단위 미만은 버리고, 남는 몇 단위는 나머지가 큰 "
            "순서로 한 단위씩 더해 지급액의 합이 기금과 정확히 같도록 했습니다."
            "{% else %}기금 {{ pool_amount }}이(가) 승인된 청구 전체({{ entitled_total }})를 "
            "충당하므로 승인 금액 전액을 지급합니다.{% endif %}\n\n"
            "지급 방법과 시기는 청구 페이지에서 확인하실 수 있습니다: {{ claim_url }}",
            "청구 {{ claim_reference }} 최종 금액 {{ final_amount }}"
            "(승인 {{ entitled_amount }}의 {{ pool_share }}). {{ claim_url }}",
        ),
        "zh-hans": (
            "您的申请 {{ claim_reference }} 的最终补偿金额",
            "“{{ program_name }}”的申请由一笔共同基金支付，该基金现已完成分配。\n\n"
            "批准金额：{{ entitled_amount }}\n最终金额：{{ final_amount }}\n\n"
            "{% if reduced %}基金总额为 {{ pool_amount }}，获批申请合计 {{ entitled_total }}，"
            "因此所有批准金额均按同一比例 {{ pool_share }}（基金总额 ÷ 批准总额）支付。各金额"
            "不足一个单位的部分舍去，剩余的少数单位按余数从大到小逐一补足，使各金额之和恰好等于"
            "基金总额。{% else %}基金 {{ pool_amount }} 足以支付全部获批申请（合计 "
            "{{ entitled_total }}），因此您将获得全部批准金额。{% endif %}\n\n"
            "支付方式和时间请见您的申请页面：{{ claim_url }}",
            "申请 {{ claim_reference }} 最终金额 {{ final_amount }}"
            "（批准金额 {{ entitled_amount }} 的 {{ pool_share }}）。{{ claim_url }}",
        ),
    },
}

# (kind, channel, language) -> (the seeded sentence, its rewording). The rewording replaces
# the sentence where it is still there; otherwise the rewording goes before the footer (email)
# or at the end (SMS), so an operator's own words stay and the link is added.
_APPEAL_EN = (
    "{% if appeal_by %}If you disagree, you can appeal once on that page until "
    "{{ appeal_by }}: say why the decision should change and add any document that shows "
    "it.{% else %}The page also shows how you will be paid.{% endif %}"
)
_APPEAL_KO = (
    "{% if appeal_by %}결정에 동의하지 않으시면 {{ appeal_by }}까지 위 페이지에서 한 번 "
    "이의신청하실 수 있습니다. 결정이 바뀌어야 하는 이유를 적고, 이를 보여 주는 서류가 있으면 "
    "첨부해 주세요.{% else %}지급 방법도 위 페이지에서 확인하실 수 있습니다.{% endif %}"
)
_APPEAL_ZH = (
    "{% if appeal_by %}如有异议，您可在 {{ appeal_by }} 之前在该页面提出一次申诉：说明决定应当"
    "改变的理由，并附上能够证明的材料。{% else %}该页面也会显示补偿款的支付方式。{% endif %}"
)
_FINAL_EN = (
    "{% if appeal_by %}You can appeal again on that page until {{ appeal_by }}.{% else %}This "
    "was the one appeal the program allows, so this decision is final within the program."
    "{% endif %}"
)
_FINAL_KO = (
    "{% if appeal_by %}{{ appeal_by }}까지 위 페이지에서 다시 이의신청하실 수 있습니다."
    "{% else %}이의신청은 한 번만 가능하므로, 이 결정이 이 보상 프로그램의 최종 결정입니다."
    "{% endif %}"
)
_FINAL_ZH = (
    "{% if appeal_by %}您可在 {{ appeal_by }} 之前在该页面再次申诉。{% else %}本计划只允许申诉"
    "一次，因此该决定为本计划内的最终决定。{% endif %}"
)
REWORDINGS = {
    ("decision", "email", "en"): (
        "You can read the reasons on our site. If you disagree, you can appeal there within the "
        "period shown with the decision.",
        "Your claim and the reasons: {{ claim_url }}\n\n" + _APPEAL_EN,
    ),
    ("decision", "email", "ko"): (
        "결정 사유는 저희 사이트에서 확인하실 수 있습니다. 동의하지 않으시면 결정과 함께 안내된 "
        "기간 안에 사이트에서 이의를 신청하실 수 있습니다.",
        "청구 내용과 결정 사유: {{ claim_url }}\n\n" + _APPEAL_KO,
    ),
    ("decision", "email", "zh-hans"): (
        "您可以在我们的网站上查看理由。如有异议，可在决定中注明的期限内通过网站提出申诉。",
        "申请详情及理由：{{ claim_url }}\n\n" + _APPEAL_ZH,
    ),
    ("decision", "sms", "en"): (
        "Reasons and appeal on our site.",
        "{% if appeal_by %}Appeal by {{ appeal_by }}: {% else %}Details: {% endif %}"
        "{{ claim_url }}",
    ),
    ("decision", "sms", "ko"): (
        "사유 확인과 이의신청은 사이트에서 하실 수 있습니다.",
        "{% if appeal_by %}이의신청 기한 {{ appeal_by }}. {% endif %}{{ claim_url }}",
    ),
    ("decision", "sms", "zh-hans"): (
        "理由及申诉请见网站。",
        "{% if appeal_by %}申诉截止：{{ appeal_by }}。{% endif %}{{ claim_url }}",
    ),
    ("appeal_outcome", "email", "en"): (
        "The reasons are on our site with your claim.",
        "The reasons are with your claim: {{ claim_url }}\n\n" + _FINAL_EN,
    ),
    ("appeal_outcome", "email", "ko"): (
        "사유는 저희 사이트의 청구 건에서 확인하실 수 있습니다.",
        "사유는 청구 페이지에서 확인하실 수 있습니다: {{ claim_url }}\n\n" + _FINAL_KO,
    ),
    ("appeal_outcome", "email", "zh-hans"): (
        "理由可在我们网站上的申请页面查看。",
        "理由请见您的申请页面：{{ claim_url }}\n\n" + _FINAL_ZH,
    ),
    ("appeal_outcome", "sms", "en"): ("Reasons on our site.", "Reasons: {{ claim_url }}"),
    ("appeal_outcome", "sms", "ko"): ("사유는 사이트에서 확인하세요.", "사유: {{ claim_url }}"),
    ("appeal_outcome", "sms", "zh-hans"): ("理由请见网站。", "理由：{{ claim_url }}"),
}
for _language, _old in IF_NO_ANSWER_OLD.items():
    REWORDINGS[("info_requested", "email", _language)] = (_old, IF_NO_ANSWER[_language])


def reword(kind: str, channel: str, language: str, body: str) -> str:
    """The body with this migration's wording (unchanged if it has it already)."""
    old, new = REWORDINGS[(kind, channel, language)]
    if old in body:
        return body.replace(old, new)
    if kind == "info_requested" or "claim_url" in body:
        return body  # an operator's own words on what happens next, or the link is there
    if channel == "sms":
        return f"{body} {new}"
    footer = FOOTER[language]
    if footer in body:
        return body.replace(footer, f"{new}\n\n{footer}")
    return f"{body}\n\n{new}"


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
    for template in NoticeTemplate.objects.filter(
        kind__in=["decision", "appeal_outcome", "info_requested"]
    ):
        if (template.kind, template.channel, template.language) not in REWORDINGS:
            continue
        body = reword(template.kind, template.channel, template.language, template.body)
        if body != template.body:
            template.body = body
            template.save(update_fields=["body"])


def backwards(apps, schema_editor):
    NoticeTemplate = apps.get_model("notifications", "NoticeTemplate")
    NoticeTemplate.objects.filter(kind__in=list(TEMPLATES)).delete()
    for template in NoticeTemplate.objects.filter(
        kind__in=["decision", "appeal_outcome", "info_requested"]
    ):
        wording = REWORDINGS.get((template.kind, template.channel, template.language))
        if wording and wording[1] in template.body:
            template.body = template.body.replace(wording[1], wording[0])
            template.save(update_fields=["body"])


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
]


class Migration(migrations.Migration):
    dependencies = [("notifications", "0011_payout_kinds")]

    operations = [
        migrations.AlterField(
            model_name=model,
            name="kind",
            field=models.CharField(choices=KIND_CHOICES, max_length=32),
        )
        for model in ("campaign", "notice", "noticetemplate")
    ] + [migrations.RunPython(forwards, backwards)]
