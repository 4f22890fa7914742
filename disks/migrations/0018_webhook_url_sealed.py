"""Webhook URLs sealed at rest (disks.sealing): a group robot's URL carries its token."""

from django.db import migrations, models

import disks.sealing


def seal_urls(apps, schema_editor):
    # Runs while the column is a plain TextField, so it reads and writes the stored text.
    endpoints = apps.get_model("disks", "WebhookEndpoint").objects
    for pk, url in endpoints.values_list("pk", "url"):
        if url and not url.startswith(disks.sealing.PREFIX):
            endpoints.filter(pk=pk).update(url=disks.sealing.seal(url))


def open_urls(apps, schema_editor):
    endpoints = apps.get_model("disks", "WebhookEndpoint").objects
    for pk, url in endpoints.values_list("pk", "url"):
        if url.startswith(disks.sealing.PREFIX):
            endpoints.filter(pk=pk).update(url=disks.sealing.unseal(url)[:500])


class Migration(migrations.Migration):
    dependencies = [("disks", "0017_operations")]

    operations = [
        migrations.AlterField(
            model_name="webhookendpoint", name="url", field=models.TextField()
        ),
        migrations.RunPython(seal_urls, open_urls),
        migrations.AlterField(
            model_name="webhookendpoint",
            name="url",
            field=disks.sealing.SealedTextField(),
        ),
    ]
