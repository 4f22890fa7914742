"""The audience groups, the audit chain's head row, and PostgreSQL's append-only trigger."""

from django.db import migrations

AUDIENCE_GROUPS = ("helpdesk", "end_user", "auditor")

# TRUNCATE stays allowed: test runners flush tables with it, and only the database owner can.
APPEND_ONLY_TRIGGER = """
CREATE OR REPLACE FUNCTION disks_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'disks_auditevent is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER disks_auditevent_append_only
    BEFORE UPDATE OR DELETE ON disks_auditevent
    FOR EACH ROW EXECUTE FUNCTION disks_auditevent_append_only();
"""
DROP_APPEND_ONLY_TRIGGER = """
DROP TRIGGER IF EXISTS disks_auditevent_append_only ON disks_auditevent;
DROP FUNCTION IF EXISTS disks_auditevent_append_only();
"""


def create_groups_and_chain_head(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in AUDIENCE_GROUPS:
        Group.objects.get_or_create(name=name)
    apps.get_model("disks", "AuditChainHead").objects.get_or_create(pk=1)


def add_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # params=None: no placeholder substitution (the SQL uses % in RAISE).
        schema_editor.execute(APPEND_ONLY_TRIGGER, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_APPEND_ONLY_TRIGGER, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("disks", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_groups_and_chain_head, migrations.RunPython.noop),
        migrations.RunPython(add_trigger, drop_trigger),
    ]
