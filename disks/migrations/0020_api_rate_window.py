"""The API rate limit counts calls in a table of its own: one upsert per call, not the cache."""

from django.db import migrations, models


def _unlogged(apps, schema_editor, *, unlogged: bool = True) -> None:
    """On PostgreSQL the counter skips the write-ahead log: no WAL flush on each API call.

    An unlogged table is emptied after a crash and is not copied to a standby; for a count
    of calls per minute that only means a fresh minute, never a wrong refusal.
    """
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name("disks_apiratewindow")
    schema_editor.execute(f"ALTER TABLE {table} SET {'UNLOGGED' if unlogged else 'LOGGED'}")


def _logged(apps, schema_editor) -> None:
    _unlogged(apps, schema_editor, unlogged=False)


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
        migrations.RunPython(_unlogged, _logged),
    ]
