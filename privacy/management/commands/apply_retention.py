from datetime import date

from django.core.management.base import BaseCommand, CommandError, no_translations

from privacy.services.retention import PersonDue, retention_apply, retention_due


class Command(BaseCommand):
    help = (
        "Erase the people whose every referral has passed its retention period (the RETENTION "
        "setting), keeping the anonymous statistics. --dry-run lists them and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="list who would be erased; change nothing"
        )
        parser.add_argument("--today", help="count as if on this day, YYYY-MM-DD (to preview)")

    @no_translations  # the operator's words, and the log, in English
    def handle(self, *args, dry_run=False, today=None, **options):
        if today is not None:
            try:
                today = date.fromisoformat(today)
            except ValueError:
                raise CommandError(f"--today: {today!r} is not a date (YYYY-MM-DD).") from None
            if not dry_run:
                raise CommandError("--today only previews: use it with --dry-run.")
        people = retention_due(today=today) if dry_run else retention_apply()
        for person_due in people:
            self._write(person_due)
        verb = "would be erased" if dry_run else "erased"
        self.stdout.write(f"{len(people)} people {verb}.")

    def _write(self, person_due: PersonDue) -> None:
        # The person's uuid, never a name: this output goes to logs.
        self.stdout.write(f"person {person_due.person.uuid} (due {person_due.due_on:%Y-%m-%d})")
        for referral in person_due.referrals:
            self.stdout.write(
                f"  {referral.reference}  {referral.kind:<13}  "
                f"closed {referral.ended_on:%Y-%m-%d}  due {referral.due_on:%Y-%m-%d}"
            )
