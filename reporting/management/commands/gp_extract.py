import io

from django.core.management.base import BaseCommand, CommandError, no_translations

from accounts.models import AuditEvent
from accounts.services import audit_record
from core.exceptions import ValidationError
from reporting import gp_extract


class Command(BaseCommand):
    help = (
        "Write a GP practice's extract (SNOMED CT coded events of the referrals it made) as CSV, "
        "for scheduled drops into the GP system. Every run is recorded in the audit trail."
    )

    def add_arguments(self, parser):
        parser.add_argument("--practice", required=True, help="the practice's ODS code")
        parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
        parser.add_argument("--output", help="the file to write (default: standard output)")

    @no_translations  # the operator's messages, and the log, in English
    def handle(self, *args, practice, start, end, output=None, **options):
        organisation = gp_extract.practice_by_ods_code(practice)
        if organisation is None:
            raise CommandError(f"--practice: no GP practice has the ODS code {practice!r}.")
        try:
            period = gp_extract.parse_period(start, end)
        except ValidationError as error:
            raise CommandError(
                "; ".join(
                    f"--{field}: {message}"
                    for field, messages in error.field_errors.items()
                    for message in messages
                )
            ) from None
        found = gp_extract.extract(practice=organisation, period=period)
        rows = found.rows
        text = io.StringIO()
        gp_extract.write_csv(text, rows)
        if output:
            with open(output, "w", encoding="utf-8", newline="") as file:
                file.write(text.getvalue())
        else:
            self.stdout.write(text.getvalue(), ending="")
        # The operator runs the command, not a person signed in: no actor, and the detail says so.
        audit_record(
            actor=None,
            action=AuditEvent.Action.EXPORT,
            obj=organisation,
            detail=gp_extract.audit_detail(
                practice=organisation, period=period, row_count=len(rows), by_command=True
            ),
            people=found.people,
            records=found.references,
        )
        if output:
            self.stderr.write(f"Wrote {len(rows)} coded events for {organisation} to {output}")
