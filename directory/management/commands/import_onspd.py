from django.core.management.base import BaseCommand, CommandError

from directory import onspd
from directory.services import postcodes_import


class Command(BaseCommand):
    help = (
        "Import the ONS Postcode Directory (ONSPD) CSV into the postcode table, in batches. "
        "Safe to run twice; bad rows are reported with their line number and left out."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the ONSPD CSV file (e.g. Data/ONSPD_FEB_2025_UK.csv)")
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args, path, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")

        def progress(result):
            self.stdout.write(
                f"{result.read:,} rows read, {result.imported:,} imported, "
                f"{len(result.rejected):,} rejected"
            )

        try:
            with open(path, encoding="utf-8-sig", newline="") as csv_file:
                result = postcodes_import(
                    csv_file=csv_file, batch_size=batch_size, on_batch=progress
                )
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from error
        except onspd.BadRow as error:
            raise CommandError(f"{path}: {error}; nothing was imported") from error
        except UnicodeDecodeError as error:
            raise CommandError(f"{path} is not UTF-8 text; nothing more was imported") from error

        for line, reason in result.rejected:
            self.stderr.write(f"line {line}: {reason}")
        summary = f"{result.imported:,} postcodes imported, {len(result.rejected):,} rows rejected."
        self.stdout.write(self.style.SUCCESS(f"Done: {summary}"))
