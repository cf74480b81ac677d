from django.db import migrations, models


class Migration(migrations.Migration):
    """Campaign reach: channel fallback, the notices sent on the other channel, the people no
    notice could be made for and why, and the last test sent to an operator."""

    dependencies = [("notifications", "0014_inquiry_kinds")]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="fallback",
            field=models.BooleanField(
                default=True,
                help_text="A person without an address on this channel gets it on the other "
                "channel.",
            ),
        ),
        migrations.AddField(
            model_name="campaign",
            name="fallback_count",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="campaign",
            name="unreachable_count",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="campaign",
            name="unreachable_reasons",
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
        migrations.AddField(
            model_name="campaign",
            name="test_sent_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="campaign",
            name="test_sent_to",
            field=models.CharField(blank=True, editable=False, max_length=254),
        ),
        migrations.AddConstraint(
            model_name="campaign",
            constraint=models.CheckConstraint(
                condition=models.Q(("unreachable_count__gte", 0))
                & models.Q(("fallback_count__gte", 0))
                & models.Q(("fallback_count__lte", models.F("notices_created"))),
                name="campaign_reach_counts_consistent",
            ),
        ),
    ]
