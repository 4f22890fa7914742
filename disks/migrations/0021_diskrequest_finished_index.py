"""The operations page's job durations find the period's finished requests by an index."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("disks", "0020_api_rate_window"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="diskrequest",
            index=models.Index(
                fields=["finished_at", "kind", "submitted_at"], name="diskrequest_finished"
            ),
        ),
    ]
