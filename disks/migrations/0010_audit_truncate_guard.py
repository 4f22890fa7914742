"""PostgreSQL: the audit tables refuse TRUNCATE, and the chain head only moves forward.

0002's trigger refuses UPDATE and DELETE of audit events row by row; TRUNCATE fires no row
trigger, so it emptied the history, and emptying the chain head too made `verify_audit`
report "intact: 0 events". Now:
  - TRUNCATE of either table is refused (a statement trigger), unless a superuser's session
    has set `disks.allow_audit_truncate = on`: test runners flush every table between tests
    and set it on their connections (tests/settings.py). A superuser can drop triggers
    anyway, so the exception gives nobody a power they lacked.
  - The chain head may not be deleted, and an UPDATE must move it forward to an event that
    exists with that hash (what an append does in its own transaction), never back.
Whoever owns the tables can still drop these triggers; the signed checkpoints kept outside
the database (disks/audit_checkpoint.py) are what shows that.
"""

from django.db import migrations

GUARD = """
CREATE OR REPLACE FUNCTION disks_audit_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('disks.allow_audit_truncate', true) = 'on'
       AND (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER disks_auditevent_no_truncate
    BEFORE TRUNCATE ON disks_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION disks_audit_refuse_truncate();
CREATE TRIGGER disks_auditchainhead_no_truncate
    BEFORE TRUNCATE ON disks_auditchainhead
    FOR EACH STATEMENT EXECUTE FUNCTION disks_audit_refuse_truncate();

CREATE OR REPLACE FUNCTION disks_auditchainhead_forward_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'disks_auditchainhead: DELETE refused';
    END IF;
    IF NEW.id = OLD.id AND NEW.last_sequence = OLD.last_sequence
       AND NEW.last_hash = OLD.last_hash THEN
        RETURN NEW;
    END IF;
    IF NEW.id <> OLD.id OR NEW.last_sequence <= OLD.last_sequence OR NOT EXISTS (
        SELECT 1 FROM disks_auditevent
        WHERE sequence = NEW.last_sequence AND hash = NEW.last_hash
    ) THEN
        RAISE EXCEPTION 'disks_auditchainhead moves only forward, to an event that exists: '
            'UPDATE from #% to #% refused', OLD.last_sequence, NEW.last_sequence;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER disks_auditchainhead_forward_only
    BEFORE UPDATE OR DELETE ON disks_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION disks_auditchainhead_forward_only();
"""
DROP_GUARD = """
DROP TRIGGER IF EXISTS disks_auditchainhead_forward_only ON disks_auditchainhead;
DROP FUNCTION IF EXISTS disks_auditchainhead_forward_only();
DROP TRIGGER IF EXISTS disks_auditchainhead_no_truncate ON disks_auditchainhead;
DROP TRIGGER IF EXISTS disks_auditevent_no_truncate ON disks_auditevent;
DROP FUNCTION IF EXISTS disks_audit_refuse_truncate();
"""


def add_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # params=None: no placeholder substitution (the SQL uses % in RAISE).
        schema_editor.execute(GUARD, params=None)


def drop_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_GUARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("disks", "0009_directory_audit_actions")]

    operations = [migrations.RunPython(add_guard, drop_guard)]
