"""The outbox is a queue: every notice is updated two or three times and then never again.
PostgreSQL's default (vacuum after 20% of the table is dead) would let a 30M-row campaign leave
millions of dead versions that every claim has to step over; vacuum and analyze it after 1%."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("notifications", "0004_claim_index_due_order")]
    operations = [
        migrations.RunSQL(
            "ALTER TABLE notifications_notice SET (autovacuum_vacuum_scale_factor = 0.01, "
            "autovacuum_analyze_scale_factor = 0.01)",
            "ALTER TABLE notifications_notice RESET (autovacuum_vacuum_scale_factor, "
            "autovacuum_analyze_scale_factor)",
        )
    ]
