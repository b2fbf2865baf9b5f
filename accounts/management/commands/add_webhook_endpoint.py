"""Register a webhook endpoint for an API client and print its signing secret once."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from accounts.models import ApiClient, WebhookEvent
from accounts.webhooks import webhook_endpoint_add


class Command(BaseCommand):
    help = (
        "Add a webhook endpoint to an API client and print its signing secret once, e.g. "
        "add_webhook_endpoint --client 'Afon Surgery EMIS' --url https://emis.example.org/hooks "
        "--events referral.accepted referral.closed"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--client", required=True, help="The API client's name (or its token prefix)."
        )
        parser.add_argument("--url", required=True, help="Where events are sent (https).")
        parser.add_argument(
            "--events",
            nargs="*",
            default=[],
            help=f"Events to send (all if left out), from: {', '.join(WebhookEvent.values)}.",
        )

    def handle(self, *args, client, url, events, **options):
        found = list(
            ApiClient.objects.filter(Q(name=client.strip()) | Q(token_prefix=client.strip()))
            .filter(is_active=True)
            .select_related("organisation")[:2]
        )
        if not found:
            raise CommandError(f"No active API client is called {client}.")
        if len(found) > 1:
            raise CommandError(
                f"More than one active API client is called {client}: give its token prefix."
            )
        chosen = [part.strip() for event in events for part in event.split(",") if part.strip()]
        try:
            endpoint, secret = webhook_endpoint_add(client=found[0], url=url, events=chosen)
        except ValidationError as error:
            messages = [message for field in error.message_dict.values() for message in field]
            raise CommandError(" ".join(messages)) from error
        self.stdout.write(
            f"Webhook endpoint {endpoint.url} for {found[0].name} "
            f"(events: {', '.join(endpoint.events)}).\n"
            "Its signing secret, shown only this once; give it to the partner securely:\n"
        )
        self.stdout.write(secret)
