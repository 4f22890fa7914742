"""The API rate limit counts calls in a table of its own: one upsert per call, not the cache."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("disks", "0019_desktop_status_page_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiRateWindow",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=40)),
                ("window_start", models.DateTimeField()),
                ("calls", models.PositiveIntegerField(default=0)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("key", "window_start"), name="one_api_rate_window"
                    )
                ],
            },
        ),
    ]
