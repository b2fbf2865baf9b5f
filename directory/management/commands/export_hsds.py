import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from directory import hsds
from directory.models import Provider, Service, Taxonomy


class Command(BaseCommand):
    help = (
        "Write the whole directory as Open Referral (HSDS 3 / ORUK) JSON: taxonomies with their "
        "terms, organizations, and every service in full, closed ones with the status 'defunct'. "
        "import_hsds reads the file back."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="the file to write (default: standard output)")

    def handle(self, *args, path, **options):
        document = {
            "version": hsds.HSDS_VERSION,
            "profile": hsds.PROFILE_URL,
            "exported_at": timezone.now().isoformat(),
            "taxonomies": [
                hsds.taxonomy(taxonomy, with_terms=True)
                for taxonomy in hsds.taxonomies_with_terms(Taxonomy.objects.order_by("name"))
            ],
            "organizations": [
                hsds.organization_full(provider) for provider in Provider.objects.order_by("name")
            ],
            "services": [
                hsds.service_full(service)
                for service in hsds.services_for_full(Service.objects.order_by("name", "pk"))
            ],
        }
        text = json.dumps(document, ensure_ascii=False, indent=2)
        if path:
            with open(path, "w", encoding="utf-8") as file:
                file.write(text + "\n")
            self.stderr.write(
                f"Wrote {len(document['services'])} services, "
                f"{len(document['organizations'])} organizations and "
                f"{len(document['taxonomies'])} taxonomies to {path}"
            )
        else:
            self.stdout.write(text)
