from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("payouts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="payoutchunk",
            name="retry_after",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="payoutchunk",
            name="attempted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
