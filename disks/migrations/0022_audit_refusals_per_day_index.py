"""Refusal codes per day read from a partial index of the refusals alone."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("disks", "0021_diskrequest_finished_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(("action", "disk_request.refused")),
                fields=["occurred_at", "error_code"],
                name="audit_refusals_per_day",
            ),
        ),
    ]
