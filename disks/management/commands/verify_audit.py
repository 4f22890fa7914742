"""`manage.py verify_audit`: walk the audit hash chain; exit non-zero at the first broken link.

With `--checkpoint FILE` it also checks the history against signed checkpoints kept
outside the database (disks/audit_checkpoint.py): shorter than, or different from, what a
checkpoint saw, or a signature that does not match, fails too.
"""

from django.core.management.base import BaseCommand, CommandError

from disks.audit_chain import audit_chain_verify_and_remember
from disks.audit_checkpoint import CheckpointError, checkpoint_problems, checkpoints_read, latest


class Command(BaseCommand):
    help = (
        'Check every audit event against its hash and its predecessor. Prints "intact: N '
        'events", or the first broken link and exits with status 1. The verdict is also '
        "cached for the audit page. With --checkpoint FILE, also check the history against "
        "the signed checkpoints in FILE (needs AUDIT_CHECKPOINT_KEY)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoint",
            metavar="FILE",
            help="a checkpoint file (JSON lines, from AUDIT_CHECKPOINT_PATH or the mails)",
        )

    def handle(self, *args, checkpoint=None, **options):
        verdict = audit_chain_verify_and_remember()
        problems = [] if verdict.intact else [str(verdict)]
        checkpoints = []
        if checkpoint:
            try:
                checkpoints = checkpoints_read(checkpoint)
                problems += checkpoint_problems(checkpoints)
            except CheckpointError as error:
                problems.append(str(error))
        if problems:
            raise CommandError("\n".join(problems), returncode=1)
        self.stdout.write(str(verdict))
        if checkpoints:
            self.stdout.write(
                f"checkpoints: {len(checkpoints)} match, the latest {latest(checkpoints)}"
            )
        if options["verbosity"] > 1:
            # A chain proves only that nothing changed since its head: whoever can write
            # the table could rebuild it from there. The head's hash, kept elsewhere, pins it.
            self.stdout.write(f"head: #{verdict.head_sequence} {verdict.head_hash}")
