"""`manage.py audit_checkpoint`: write a signed checkpoint of the audit chain now."""

from django.core.management.base import BaseCommand, CommandError

from disks.audit_checkpoint import CheckpointError, audit_checkpoint_record


class Command(BaseCommand):
    help = (
        "Verify the audit chain, then append a signed checkpoint of its head (sequence, hash, "
        "time; HMAC-SHA256 with AUDIT_CHECKPOINT_KEY) to AUDIT_CHECKPOINT_PATH and/or mail it "
        "to AUDIT_CHECKPOINT_EMAIL. `verify_audit --checkpoint FILE` checks against them."
    )

    def handle(self, *args, **options):
        try:
            checkpoint, written = audit_checkpoint_record()
        except (CheckpointError, OSError) as error:
            raise CommandError(str(error), returncode=1) from error
        self.stdout.write(f"{checkpoint} ({checkpoint.head_hash}) written to {', '.join(written)}")
