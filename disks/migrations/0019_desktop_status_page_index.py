"""The status index carries the list's order to the unique desktop id: keyset pages of one status."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("disks", "0018_webhook_url_sealed"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="desktop",
            name="disks_deskt_status_001f2a_idx",
        ),
        migrations.AddIndex(
            model_name="desktop",
            index=models.Index(
                fields=["status", "computer_name", "desktop_id"], name="desktop_status_page"
            ),
        ),
    ]
