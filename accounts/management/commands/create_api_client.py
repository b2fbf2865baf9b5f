"""Issue a partner system its API token: printed once, never stored (only its hash is)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import ApiScope, Organisation
from accounts.services import api_client_create


class Command(BaseCommand):
    help = (
        "Create an API client for an organisation and print its token once, e.g. "
        "create_api_client 'Afon Surgery EMIS' --organisation W90001 "
        "--scopes referrals:write,referrals:read"
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="What the partner system is called.")
        parser.add_argument("--organisation", required=True, help="The organisation's ODS code.")
        parser.add_argument(
            "--scopes",
            required=True,
            help=f"Comma-separated, from: {', '.join(ApiScope.values)}.",
        )
        parser.add_argument(
            "--rate-limit", type=int, default=60, help="Requests per minute (default 60)."
        )
        parser.add_argument(
            "--contact-email", default="", help="Told when a webhook endpoint is disabled."
        )

    def handle(self, *args, name, organisation, scopes, rate_limit, contact_email, **options):
        ods_code = organisation.strip().upper()
        found = Organisation.objects.filter(ods_code__iexact=ods_code).first()
        if found is None:
            raise CommandError(f"No organisation has the ODS code {ods_code}.")
        if rate_limit < 1:
            raise CommandError("--rate-limit must be at least 1 request a minute.")
        try:
            client, token = api_client_create(
                name=name,
                organisation=found,
                scopes=[scope.strip() for scope in scopes.split(",") if scope.strip()],
                rate_limit=rate_limit,
                contact_email=contact_email,
            )
        except ValidationError as error:
            messages = [message for field in error.message_dict.values() for message in field]
            raise CommandError(" ".join(messages)) from error
        self.stdout.write(
            f"API client {client.name} for {found} (scopes: {', '.join(client.scopes)}).\n"
            "Its token, shown only this once; give it to the partner securely:\n"
        )
        self.stdout.write(token)
