import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0007_cannedresponse_purpose"),
        ("compensation", "0011_person_search_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="signincode",
            name="channel",
            field=models.CharField(
                choices=[("email", "Email"), ("sms", "SMS")], default="email", max_length=8
            ),
        ),
        migrations.AddField(
            model_name="signincode",
            name="device_hash",
            field=models.BinaryField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name="PersonalLink",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token_hash", models.BinaryField()),
                ("identity_hash", models.BinaryField()),
                ("recipient_hash", models.BinaryField()),
                ("next_path", models.CharField(max_length=300)),
                ("expires_at", models.DateTimeField()),
                ("used_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "person",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="compensation.affectedperson",
                    ),
                ),
                (
                    "program",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="compensation.program",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("token_hash",), name="personal_link_token_unique"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("next_path__startswith", "/")),
                        name="personal_link_local_path",
                    ),
                ],
            },
        ),
    ]
