from django.db import migrations

# The information-request notice carries a link that opens the claim on the one thing to
# answer. Appended to the seeded templates (and to any an operator edited).
LINKS = {
    ("email", "en"): "\n\nAnswer here: {{ claim_url }}",
    ("email", "ko"): "\n\n답변하기: {{ claim_url }}",
    ("email", "zh-hans"): "\n\n在此回复：{{ claim_url }}",
    ("sms", "en"): " {{ claim_url }}",
    ("sms", "ko"): " {{ claim_url }}",
    ("sms", "zh-hans"): " {{ claim_url }}",
}


def add_link(apps, schema_editor):
    NoticeTemplate = apps.get_model("notifications", "NoticeTemplate")
    for template in NoticeTemplate.objects.filter(kind="info_requested"):
        if "claim_url" not in template.body:
            template.body += LINKS.get((template.channel, template.language), " {{ claim_url }}")
            template.save(update_fields=["body"])


def remove_link(apps, schema_editor):
    NoticeTemplate = apps.get_model("notifications", "NoticeTemplate")
    for template in NoticeTemplate.objects.filter(kind="info_requested"):
        suffix = LINKS.get((template.channel, template.language), " {{ claim_url }}")
        if template.body.endswith(suffix):
            template.body = template.body[: -len(suffix)]
            template.save(update_fields=["body"])


class Migration(migrations.Migration):
    dependencies = [("notifications", "0005_outbox_autovacuum")]
    operations = [migrations.RunPython(add_link, remove_link)]
