"""Personal links in notices (claims/services/personal_links.py): the information request, its
reminder, the decision and the appeal's outcome carry a link that opens the claim's page
signed in, once; the campaign kinds to a person of the population (the vouchers-ready notice,
the expiry reminder, the extension, the incident announcement, vouchers issued) one that
opens /me/. Where a template prints the page's plain address, it prints the personal link
instead when the notice has one; the announcement and vouchers-issued texts gain a line with
it. Safe to run again: a template that names personal_url already is left alone."""

from django.db import migrations

# kind -> the variable whose place the link takes
REPLACED = {
    "info_requested": "claim_url",
    "info_reminder": "claim_url",
    "decision": "claim_url",
    "appeal_outcome": "claim_url",
    "vouchers_ready": "me_url",
    "voucher_expiry_reminder": "me_url",
    "vouchers_extended": "me_url",
}
ADDED = ("incident_announcement", "voucher_issued")
# (channel, language) -> the line added, before the footer (email) or the check (SMS)
LINE = {
    ("email", "en"): "Open your page (this link signs you in once): {{ personal_url }}",
    ("email", "ko"): "내 페이지 바로 열기(이 링크로 한 번 로그인됩니다): {{ personal_url }}",
    ("email", "zh-hans"): "打开您的个人页面（此链接可直接登录一次）：{{ personal_url }}",
    ("sms", "en"): "Your page {{ personal_url }}",
    ("sms", "ko"): "내 페이지 {{ personal_url }}",
    ("sms", "zh-hans"): "个人页面 {{ personal_url }}",
}
SMS_CHECK = {"en": " Check this message", "ko": " 진위 확인", "zh-hans": "验证真伪"}


def _linked(variable: str) -> str:
    return "{% if personal_url %}{{ personal_url }}{% else %}{{ " + variable + " }}{% endif %}"


def _with_line(channel: str, language: str, body: str) -> str:
    line = "{% if personal_url %}" + LINE[(channel, language)] + "{% endif %}"
    if channel == "email":
        text, sep, footer = body.rpartition("\n\n")
        return f"{text}\n\n{line}\n\n{footer}" if sep else f"{body}\n\n{line}"
    check = SMS_CHECK[language]
    at = body.find(check)
    if at < 0:
        return f"{body} {line}"
    before = body[:at].rstrip()
    gap = "" if language == "zh-hans" else " "  # Chinese runs on after its full stop
    rest = body[at + len(check) :]
    return f"{before}{gap}{line} {check.strip()}{rest}"


def forwards(apps, schema_editor):
    NoticeTemplate = apps.get_model("notifications", "NoticeTemplate")
    for template in NoticeTemplate.objects.filter(kind__in=[*REPLACED, *ADDED]):
        if "personal_url" in template.body:
            continue
        if template.kind in REPLACED:
            variable = REPLACED[template.kind]
            token = "{{ " + variable + " }}"
            if token not in template.body:
                continue
            template.body = template.body.replace(token, _linked(variable))
        elif (template.channel, template.language) in LINE:
            template.body = _with_line(template.channel, template.language, template.body)
        else:
            continue
        template.save(update_fields=["body", "updated_at"])


def backwards(apps, schema_editor):
    NoticeTemplate = apps.get_model("notifications", "NoticeTemplate")
    for template in NoticeTemplate.objects.filter(kind__in=[*REPLACED, *ADDED]):
        body = template.body
        if template.kind in REPLACED:
            body = body.replace(
                _linked(REPLACED[template.kind]), "{{ " + REPLACED[template.kind] + " }}"
            )
        else:
            line = LINE.get((template.channel, template.language))
            if line:
                wrapped = "{% if personal_url %}" + line + "{% endif %}"
                body = body.replace("\n\n" + wrapped, "").replace(" " + wrapped, "")
        if body != template.body:
            template.body = body
            template.save(update_fields=["body", "updated_at"])


class Migration(migrations.Migration):
    dependencies = [("notifications", "0017_payment_changed_kind")]
    operations = [migrations.RunPython(forwards, backwards)]
