"""The database cache's table (CACHES: DatabaseCache), so that `migrate` alone gives a
working server: without it the add-disk form, which caches the disk types, was a 500 on a
deployment that forgot `createcachetable`. The command skips a table that exists."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("disks", "0010_audit_truncate_guard")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
