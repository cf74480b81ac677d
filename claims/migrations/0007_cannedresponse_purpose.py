from django.db import migrations, models


class Migration(migrations.Migration):
    """One library of standard replies: each says what it is for (a request for information,
    as every existing one is, an answer to an inquiry, a message about a claim)."""

    dependencies = [("claims", "0006_claim_assisted")]

    operations = [
        migrations.AlterModelOptions(
            name="cannedresponse",
            options={"ordering": ["purpose", "code", "language"]},
        ),
        migrations.AddField(
            model_name="cannedresponse",
            name="purpose",
            field=models.CharField(
                choices=[
                    ("info_request", "Request for information"),
                    ("inquiry", "Answer to an inquiry"),
                    ("message", "Message about a claim"),
                ],
                db_index=True,
                default="info_request",
                max_length=16,
            ),
        ),
    ]
