"""`manage.py verify_audit`: walk the audit hash chain; exit non-zero at the first broken link."""

from django.core.management.base import BaseCommand, CommandError

from disks.audit_chain import audit_chain_verify_and_remember


class Command(BaseCommand):
    help = (
        'Check every audit event against its hash and its predecessor. Prints "intact: N '
        'events", or the first broken link and exits with status 1. The verdict is also '
        "cached for the audit page."
    )

    def handle(self, *args, **options):
        verdict = audit_chain_verify_and_remember()
        if not verdict.intact:
            raise CommandError(str(verdict), returncode=1)
        self.stdout.write(str(verdict))
        if options["verbosity"] > 1:
            # A chain proves only that nothing changed since its head: whoever can write
            # the table could rebuild it from there. The head's hash, kept elsewhere, pins it.
            self.stdout.write(f"head: #{verdict.head_sequence} {verdict.head_hash}")
