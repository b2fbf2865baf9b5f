from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, no_translations

from privacy.exports import subject_access as exports
from privacy.selectors import subject_access as selectors
from privacy.services.subject_access import subject_access_bundle


class Command(BaseCommand):
    help = (
        "Write the subject access bundle (one HTML file and one JSON file) of the person a "
        "referral is for, holding what that referral's scheme has on them. Audited."
    )

    def add_arguments(self, parser):
        parser.add_argument("reference", help="a referral's reference, such as SP-7K3QD9M")
        parser.add_argument("--out", required=True, help="the folder to write the two files to")

    @no_translations  # the operator's messages in English; the bundle is in the person's language
    def handle(self, *args, reference, out, **options):
        referral = selectors.referral_by_reference(reference)
        if referral is None:
            raise CommandError(f"No referral has the reference {reference.strip()!r}.")
        folder = Path(out)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(f"--out: cannot write to {out!r}: {error.strerror}.") from None
        # The scheme the referral went to is the controller answering the request.
        bundle = subject_access_bundle(person=referral.person, scheme=referral.scheme, actor=None)
        written = []
        for extension, content in (
            ("html", exports.bundle_html(bundle)),
            ("json", exports.bundle_json(bundle)),
        ):
            path = folder / exports.filename(bundle, extension, stem=referral.reference)
            path.write_text(content, encoding="utf-8")
            written.append(path)
        self.stdout.write(
            f"Wrote the subject access bundle for the person of {referral.reference} "
            f"({len(bundle['referrals'])} referrals to {referral.scheme.name}):"
        )
        for path in written:
            self.stdout.write(f"  {path}")
