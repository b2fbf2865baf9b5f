import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from directory import hsds_import
from directory.services import (
    HsdsImportResult,
    provider_import_hsds,
    service_import_hsds,
    taxonomy_import_hsds,
)


class Command(BaseCommand):
    help = (
        "Import an Open Referral (HSDS 3 / ORUK) feed into the directory, matching records by id: "
        "a JSON file (a service, a list of services, a /services page, or an export_hsds file) "
        "or the address of another ORUK API. Reports each record created, updated or rejected."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="a JSON file, or an ORUK API address (http/https)")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report, but write nothing"
        )
        parser.add_argument(
            "--namespace",
            help="for feeds whose ids are not UUIDs: the name their stable uuids are made from "
            "(default: the source as given)",
        )

    def handle(self, *args, source, dry_run, namespace, **options):
        namespace = namespace or source.rstrip("/")
        results = []
        if source.startswith(("http://", "https://")):
            # Taxonomies first, so that categories keep their parents; the profile does
            # not require the endpoint, so an API without it only loses the hierarchy.
            try:
                for item_id, record, error in hsds_import.fetch_taxonomies(source):
                    result = (
                        taxonomy_import_hsds(record=record, dry_run=dry_run, namespace=namespace)
                        if record is not None
                        else HsdsImportResult("taxonomy", item_id, "rejected", error)
                    )
                    results.append(self._report(result, dry_run))
            except (OSError, ValueError) as failure:
                self.stdout.write(
                    f"taxonomies: not read ({failure}); categories come with services"
                )
            for item_id, record, error in self._fetch(source):
                result = (
                    service_import_hsds(record=record, dry_run=dry_run, namespace=namespace)
                    if record is not None
                    else HsdsImportResult("service", item_id, "rejected", error)
                )
                results.append(self._report(result, dry_run))
        else:
            records = self._read(source)
            for kind, import_one in [
                ("taxonomies", taxonomy_import_hsds),
                ("organizations", provider_import_hsds),
                ("services", service_import_hsds),
            ]:
                for record in records[kind]:
                    result = import_one(record=record, dry_run=dry_run, namespace=namespace)
                    results.append(self._report(result, dry_run))
        self._summary(results, dry_run)

    def _read(self, source):
        try:
            document = json.loads(Path(source).read_text(encoding="utf-8"))
        except OSError as error:
            raise CommandError(f"Cannot read {source}: {error.strerror or error}") from error
        except ValueError as error:
            raise CommandError(f"{source} is not JSON: {error}") from error
        try:
            return hsds_import.records_from_document(document)
        except hsds_import.HsdsRejected as error:
            raise CommandError(f"{source}: {error}") from error

    def _fetch(self, source):
        try:
            yield from hsds_import.fetch_services(source)
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read the services of {source}: {error}") from error

    def _report(self, result, dry_run):
        action = f"would be {result.action}" if dry_run and result.action != "rejected" else None
        line = f"{result.kind} {result.id or '(no id)'}: {action or result.action}"
        if result.reason:
            line += f": {result.reason}"
        style = self.style.ERROR if result.action == "rejected" else self.style.SUCCESS
        self.stdout.write(style(line))
        return result

    def _summary(self, results, dry_run):
        for kind, label in [
            ("taxonomy", "Taxonomies"),
            ("organization", "Organizations"),
            ("service", "Services"),
        ]:
            counts = {
                action: sum(1 for r in results if r.kind == kind and r.action == action)
                for action in ("created", "updated", "rejected")
            }
            if sum(counts.values()) or kind == "service":
                self.stdout.write(
                    f"{label}: {counts['created']} created, "
                    f"{counts['updated']} updated, {counts['rejected']} rejected"
                    + (" (dry run: nothing was written)" if dry_run else "")
                )
