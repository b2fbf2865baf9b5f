"""Add SWEMWBS for a scheme that holds the licence: its wording from their files, our scoring."""

import json
import uuid
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from core.exceptions import ValidationError
from linkworkers.services import instrument_define

DEFINITION = Path(__file__).resolve().parents[2] / "instrument_data" / "swemwbs.json"


def _lines(path, expected, what):
    """Non-blank, non-comment lines, each "English" or "English | Cymraeg"."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
    rows = [line.strip() for line in text.splitlines()]
    rows = [row for row in rows if row and not row.startswith("#")]
    if len(rows) != expected:
        raise CommandError(f"{path} must hold {expected} {what}, one a line; it has {len(rows)}.")
    pairs = []
    for row in rows:
        english, _bar, welsh = (part.strip() for part in row.partition("|"))
        if not english:
            raise CommandError(f"{path}: each line needs its English wording before any '|'.")
        pairs.append((english, welsh))
    return pairs


class Command(BaseCommand):
    help = (
        "Add (or update) SWEMWBS with the wording a scheme holds under its licence from "
        "Warwick Medical School. The scoring (1-5 items, raw total 7-35, the published metric "
        "conversion table) ships with the app; the wording never does. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scheme",
            help="The scheme holding the licence (its name or UUID). Omit it only when the "
            "licence covers every scheme on this deployment.",
        )
        parser.add_argument(
            "--items-file",
            required=True,
            help="UTF-8 text: the seven items in order, one a line, 'English | Cymraeg' "
            "(the Welsh optional). Lines starting with # are ignored.",
        )
        parser.add_argument(
            "--answers-file",
            required=True,
            help="UTF-8 text: the five answer labels for 1 to 5, one a line, 'English | Cymraeg'.",
        )
        parser.add_argument("--code", default="swemwbs", help="Instrument code (default swemwbs).")

    def handle(self, *args, **options):
        definition = json.loads(DEFINITION.read_text(encoding="utf-8"))
        scheme = self._scheme(options["scheme"]) if options["scheme"] else None
        items = _lines(options["items_file"], definition["items"], "items")
        low, high = definition["min"], definition["max"]
        answers = _lines(options["answers_file"], high - low + 1, "answer labels")
        answer_labels = {
            str(value): {"en": en, **({"cy": cy} if cy else {})}
            for value, (en, cy) in zip(range(low, high + 1), answers, strict=True)
        }
        try:
            instrument = instrument_define(
                code=options["code"],
                name=definition["name"],
                name_cy=definition["name_cy"],
                description=definition["description"],
                description_cy=definition["description_cy"],
                licence=definition["licence"],
                scoring=definition["scoring"],
                higher_is_better=definition["higher_is_better"],
                conversion_table=definition["conversion_table"],
                scheme=scheme,
                items=[
                    {
                        "label": f"Item {n}",
                        "label_cy": f"Eitem {n}",
                        "text": en,
                        "text_cy": cy,
                        "min_value": low,
                        "max_value": high,
                        "answer_labels": answer_labels,
                        "higher_is_better": True,
                    }
                    for n, (en, cy) in enumerate(items, 1)
                ],
            )
        except ValidationError as error:
            raise CommandError(error.message) from None
        where = f"for {scheme.name}" if scheme else "for every scheme"
        self.stdout.write(f"{instrument.name} ({instrument.code}) ready {where}.")

    def _scheme(self, name_or_uuid):
        schemes = Organisation.objects.filter(kind=Organisation.Kind.SCHEME)
        found = list(schemes.filter(name=name_or_uuid)[:2])
        if not found:
            try:
                found = list(schemes.filter(uuid=uuid.UUID(name_or_uuid)))
            except ValueError:
                found = []
        if len(found) != 1:
            raise CommandError(f"No single scheme is called {name_or_uuid!r}.")
        return found[0]
