"""Afon Surgery's GP system registers an endpoint and hears of every move of its referrals.

The receiver is a small HTTP server on loopback (a thread in the test), which the
setting WEBHOOK_ALLOW_PRIVATE_ADDRESSES lets the app call; every delivery is
checked with the standardwebhooks library's own verifier.
"""

import json
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from accounts import webhooks
from accounts.models import AuditEvent, Role, WebhookEndpoint, WebhookMessage
from accounts.services import api_client_create
from core.models import OutboxEmail
from linkworkers.services import referral_allocate
from referrals.models import ClosureReason, GPFeedback
from referrals.services import (
    referral_accept,
    referral_close,
    referral_hold,
    referral_start,
)
from tests.factories import ReferralFactory, UserFactory
from tests.outage import serve_in_background

pytestmark = pytest.mark.django_db


class Receiver:
    """A partner's endpoint on loopback: records what it got, answers the statuses it is told."""

    def __init__(self):
        self.received: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = serve_in_background(self.server)

    def events(self) -> list[str]:
        return [json.loads(r["body"])["type"] for r in self.received]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def api_client(practice):
    client, _token = api_client_create(
        name="Afon EMIS", organisation=practice, scopes=["referrals:write", "referrals:read"],
        contact_email="it@afon.example.org",
    )  # fmt: skip
    return client


@pytest.fixture
def endpoint(api_client, receiver):
    found, secret = webhooks.webhook_endpoint_add(client=api_client, url=receiver.url)
    found.plain_secret = secret
    return found


def _run(callbacks, fn, *args, **kwargs):
    with callbacks(execute=True):
        return fn(*args, **kwargs)


def _time_passes(minutes: int) -> None:
    """As if `minutes` went by: every wait and lease ends that much sooner."""
    delta = timedelta(minutes=minutes)
    WebhookMessage.objects.update(next_attempt_at=F("next_attempt_at") - delta)
    WebhookMessage.objects.filter(claimed_until__isnull=False).update(
        claimed_until=F("claimed_until") - delta
    )


def _verified(endpoint, delivery) -> dict:
    return Webhook(endpoint.plain_secret).verify(delivery["body"], delivery["headers"])


def test_every_move_is_sent_in_order_and_verifies(
    django_capture_on_commit_callbacks, referral, coordinator, link_worker, endpoint, receiver
):
    run = django_capture_on_commit_callbacks
    referral.gp_feedback = GPFeedback.EVERYTHING
    referral.save()
    r = _run(run, referral_accept, referral=referral, actor=coordinator)
    r = _run(run, referral_allocate, referral=r, actor=coordinator, link_worker=link_worker)
    r = _run(run, referral_start, referral=r, actor=link_worker)
    r = _run(run, referral_hold, referral=r, actor=link_worker,
             review_date=timezone.localdate() + timedelta(days=7))  # fmt: skip
    r = _run(run, referral_close, referral=r, actor=link_worker,
             reason=ClosureReason.COMPLETED, summary="Joined the choir at Tŷ Cerdd.")  # fmt: skip

    assert receiver.events() == [
        "referral.accepted", "referral.allocated", "referral.first_contact",
        "referral.on_hold", "referral.closed",
    ]  # fmt: skip
    payloads = [_verified(endpoint, delivery) for delivery in receiver.received]
    assert [p["data"]["reference"] for p in payloads] == [referral.reference] * 5
    assert [p["data"]["version"] for p in payloads] == sorted(
        p["data"]["version"] for p in payloads
    )
    assert payloads[-1]["data"]["closure_summary"] == "Joined the choir at Tŷ Cerdd."
    assert "Glenys" not in json.dumps(payloads)  # no one's name goes out
    ids = [d["headers"]["webhook-id"] for d in receiver.received]
    assert len(set(ids)) == 5 and all(i.startswith("msg_") for i in ids)
    assert set(WebhookMessage.objects.values_list("state", flat=True)) == {"delivered"}


def test_a_tampered_body_fails_the_libraries_check(
    django_capture_on_commit_callbacks, referral, coordinator, endpoint, receiver
):
    _run(django_capture_on_commit_callbacks, referral_accept, referral=referral, actor=coordinator)
    delivery = receiver.received[0]
    with pytest.raises(Exception, match="signature"):
        Webhook(endpoint.plain_secret).verify(delivery["body"] + b" ", delivery["headers"])
    with pytest.raises(Exception, match="signature"):
        Webhook(webhooks.webhook_secret_new()).verify(delivery["body"], delivery["headers"])


def test_closure_summary_is_withheld_when_the_person_chose_coded_events_only(
    django_capture_on_commit_callbacks, referral, coordinator, link_worker, endpoint, receiver
):
    run = django_capture_on_commit_callbacks
    referral.gp_feedback = GPFeedback.CODED_ONLY
    referral.save()
    r = _run(run, referral_accept, referral=referral, actor=coordinator)
    r = _run(run, referral_allocate, referral=r, actor=coordinator, link_worker=link_worker)
    _run(run, referral_close, referral=r, actor=link_worker,
         reason=ClosureReason.COMPLETED, summary="Private words.")  # fmt: skip
    closed = _verified(endpoint, receiver.received[-1])
    assert closed["type"] == "referral.closed"
    assert closed["data"]["closure_summary"] is None
    assert closed["data"]["closure_reason"] == "completed"
    assert b"Private words" not in receiver.received[-1]["body"]


def test_only_chosen_events_and_own_organisations_referrals(
    django_capture_on_commit_callbacks, referral, coordinator, link_worker, api_client, receiver,
    outsider_referrer, scheme, cluster,
):  # fmt: skip
    webhooks.webhook_endpoint_add(
        client=api_client, url=receiver.url, events=["referral.allocated"]
    )
    run = django_capture_on_commit_callbacks
    r = _run(run, referral_accept, referral=referral, actor=coordinator)
    _run(run, referral_allocate, referral=r, actor=coordinator, link_worker=link_worker)
    theirs = ReferralFactory(
        referring_user=outsider_referrer, referring_organisation=outsider_referrer.organisation,
        scheme=scheme, area=cluster,
    )  # fmt: skip
    _run(run, referral_accept, referral=theirs, actor=coordinator)
    assert receiver.events() == ["referral.allocated"]


def test_a_failure_is_retried_with_growing_waits(
    django_capture_on_commit_callbacks, referral, coordinator, endpoint, receiver
):
    receiver.statuses = [500, 503, 200]
    _run(django_capture_on_commit_callbacks, referral_accept, referral=referral, actor=coordinator)
    message = WebhookMessage.objects.get()
    assert (message.state, message.attempts, message.last_error) == ("pending", 1, "HTTP 500")
    first_wait = message.next_attempt_at - message.first_failed_at
    assert timedelta(seconds=54) <= first_wait <= timedelta(seconds=66)

    # Not due yet: the sweep leaves it alone.
    assert webhooks.webhooks_deliver_due() == 0
    later = message.next_attempt_at + timedelta(seconds=1)
    assert webhooks.webhook_deliver(message_id=message.pk, now=later) is False
    message.refresh_from_db()
    assert message.attempts == 2
    assert timedelta(seconds=108) <= message.next_attempt_at - later <= timedelta(seconds=132)

    assert webhooks.webhook_deliver(message_id=message.pk, now=message.next_attempt_at) is True
    message.refresh_from_db()
    assert message.state == "delivered"
    assert list(message.attempt_log.order_by("at").values_list("status_code", flat=True)) == [
        500, 503, 200,
    ]  # fmt: skip
    assert len({d["headers"]["webhook-id"] for d in receiver.received}) == 1


def test_backoff_covers_at_least_a_day_before_giving_up(settings):
    waited, failures = timedelta(0), 0
    while waited < timedelta(hours=settings.WEBHOOK_RETRY_HOURS):
        failures += 1
        waited += webhooks.webhook_backoff(failures)
    assert 10 <= failures <= 16  # 1, 2, 4 ... minutes, then every 6 hours
    assert webhooks.webhook_backoff(40) <= timedelta(hours=6.6)


def test_a_later_event_waits_for_an_earlier_one(
    django_capture_on_commit_callbacks, referral, coordinator, link_worker, endpoint, receiver
):
    run = django_capture_on_commit_callbacks
    receiver.statuses = [500]
    r = _run(run, referral_accept, referral=referral, actor=coordinator)
    _run(run, referral_allocate, referral=r, actor=coordinator, link_worker=link_worker)
    # The allocation was not sent while the acceptance waits for its retry.
    assert receiver.events() == ["referral.accepted"]
    accepted, allocated = WebhookMessage.objects.order_by("id")
    assert webhooks.webhook_deliver(message_id=allocated.pk) is False
    assert receiver.events() == ["referral.accepted"]

    _time_passes(5)
    with run(execute=True):
        webhooks.webhooks_deliver_due()
    assert receiver.events() == ["referral.accepted", "referral.accepted", "referral.allocated"]


def test_nothing_is_sent_twice_after_a_worker_dies_holding_a_message(
    django_capture_on_commit_callbacks, referral, coordinator, endpoint, receiver
):
    with mock.patch.object(webhooks, "_enqueue"):  # the broker took it; no worker ran it yet
        _run(django_capture_on_commit_callbacks, referral_accept, referral=referral,
             actor=coordinator)  # fmt: skip
    message = WebhookMessage.objects.get()
    now = timezone.now()
    # A worker claims it, then dies before sending.
    assert webhooks._claim(message.pk, now) is not None
    # Another worker, and the sweep within the lease, leave it alone.
    assert webhooks.webhook_deliver(message_id=message.pk) is False
    assert webhooks.webhooks_deliver_due(now=now + timedelta(seconds=30)) == 0
    assert receiver.received == []
    # After the lease the sweep sends it, once, however often it and the task run.
    _time_passes(5)
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.webhooks_deliver_due() == 1
    webhooks.webhook_deliver(message_id=message.pk)
    _time_passes(10)
    webhooks.webhooks_deliver_due()
    assert len(receiver.received) == 1
    message.refresh_from_db()
    assert message.state == "delivered"


def test_a_worker_dying_after_the_receiver_took_it_resends_the_same_webhook_id(
    django_capture_on_commit_callbacks, referral, coordinator, endpoint, receiver
):
    killed = mock.patch.object(webhooks, "_record", side_effect=SystemExit("worker killed"))
    with killed, pytest.raises(SystemExit):
        _run(django_capture_on_commit_callbacks, referral_accept, referral=referral,
             actor=coordinator)  # fmt: skip
    message = WebhookMessage.objects.get()
    assert message.state == "sending"
    _time_passes(5)
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.webhooks_deliver_due()
    ids = [d["headers"]["webhook-id"] for d in receiver.received]
    assert ids == [message.msg_id, message.msg_id]  # a receiver that dedupes keeps one
    message.refresh_from_db()
    assert message.state == "delivered"


def test_a_broker_outage_leaves_the_message_for_the_sweep(
    django_capture_on_commit_callbacks, referral, coordinator, endpoint, receiver
):
    with mock.patch.object(webhooks, "enqueue", side_effect=ConnectionError("broker down")):
        accepted = _run(django_capture_on_commit_callbacks, referral_accept, referral=referral,
                        actor=coordinator)  # fmt: skip
    assert accepted.status == "accepted"  # the move is saved whatever the broker does
    assert WebhookMessage.objects.get().state == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.webhooks_deliver_due() == 1
    assert receiver.events() == ["referral.accepted"]


def test_the_sweep_stops_at_the_first_refusal_while_the_broker_is_down(
    django_capture_on_commit_callbacks, referral, coordinator, endpoint, receiver
):
    referrals = [referral] + ReferralFactory.create_batch(
        2, referring_user=referral.referring_user, scheme=referral.scheme, area=referral.area,
        referring_organisation=referral.referring_organisation,
    )  # fmt: skip
    with mock.patch.object(webhooks, "enqueue", side_effect=ConnectionError("broker down")):
        for referral in referrals:
            _run(django_capture_on_commit_callbacks, referral_accept, referral=referral,
                 actor=coordinator)  # fmt: skip
    assert WebhookMessage.objects.filter(state="pending").count() == 3
    with (
        mock.patch.object(webhooks, "eager", return_value=False),  # a real broker, down
        mock.patch.object(webhooks, "enqueue", side_effect=ConnectionError("down")) as tried,
    ):
        assert webhooks.webhooks_deliver_due() == 0
    # One broker time-out paid, not one for each message waiting.
    assert tried.call_count == 1
    assert WebhookMessage.objects.filter(state="pending").count() == 3


def test_a_day_of_failures_disables_the_endpoint_and_tells_the_contact(
    django_capture_on_commit_callbacks, referral, coordinator, endpoint, receiver
):
    receiver.statuses = [500, 500]
    _run(django_capture_on_commit_callbacks, referral_accept, referral=referral, actor=coordinator)
    message = WebhookMessage.objects.get()
    WebhookMessage.objects.filter(pk=message.pk).update(
        first_failed_at=timezone.now() - timedelta(hours=24, minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.webhook_deliver(message_id=message.pk, now=timezone.now() + timedelta(hours=1))
    message.refresh_from_db()
    endpoint.refresh_from_db()
    assert message.state == "failed"
    assert endpoint.is_active is False and "HTTP 500" in endpoint.disabled_reason
    email = OutboxEmail.objects.get(to="it@afon.example.org")
    assert endpoint.url in email.body_text
    assert AuditEvent.objects.filter(detail__startswith="webhook endpoint disabled").exists()
    # Nothing goes while it is off.
    assert webhooks.webhooks_deliver_due(now=timezone.now() + timedelta(days=2)) == 0

    # Turned back on: what it gave up is sent again.
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.webhook_endpoint_enable(endpoint=endpoint, actor=None) is True
    message.refresh_from_db()
    assert message.state == "delivered"
    assert receiver.events()[-1] == "referral.accepted"


def test_replay_from_the_admin_sends_the_same_message_and_is_audited(
    client, django_capture_on_commit_callbacks, referral, coordinator, endpoint, receiver
):
    _run(django_capture_on_commit_callbacks, referral_accept, referral=referral, actor=coordinator)
    message = WebhookMessage.objects.get()
    admin = UserFactory(username="aled", role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin)
    log = client.get("/admin/accounts/webhookmessage/")
    assert log.status_code == 200 and message.msg_id in log.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/accounts/webhookmessage/",
            {"action": "replay", "_selected_action": [message.pk]},
        )
    assert response.status_code == 302
    assert [d["headers"]["webhook-id"] for d in receiver.received] == [message.msg_id] * 2
    assert AuditEvent.objects.filter(actor=admin, detail__startswith="webhook replayed").exists()
    assert message.attempt_log.count() == 2
    page = client.get(f"/admin/accounts/webhookmessage/{message.pk}/change/")
    assert page.status_code == 200
    # Each page of the log (the list, the message) named the referral it showed.
    # (Read in Python: SQLite, `make test`'s database, has no JSON containment lookup.)
    reads = AuditEvent.objects.filter(actor=admin).values_list("records", flat=True)
    assert sum(referral.reference in (records or []) for records in reads) == 2


def test_the_admin_shows_the_secret_once_and_refuses_private_addresses(
    client, api_client, settings
):
    admin = UserFactory(username="aled", role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin)
    refused = client.post(
        "/admin/accounts/webhookendpoint/add/",
        {"client": api_client.pk, "url": "https://169.254.169.254/latest/", "events": []},
    )
    assert refused.status_code == 200
    assert "private, local or reserved" in refused.content.decode()
    assert not WebhookEndpoint.objects.exists()

    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    added = client.post(
        "/admin/accounts/webhookendpoint/add/",
        {"client": api_client.pk, "url": "https://127.0.0.1:9/hooks",
         "events": ["referral.closed"]},
        follow=True,
    )  # fmt: skip
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in added.content.decode()
    assert endpoint.events == ["referral.closed"]
    assert (
        endpoint.secret
        not in client.get(f"/admin/accounts/webhookendpoint/{endpoint.pk}/change/").content.decode()
    )
    assert AuditEvent.objects.filter(actor=admin, detail__startswith="webhook endpoint added")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hooks",
        "http://localhost:8000/hooks",
        "http://10.1.2.3/hooks",
        "http://192.168.0.1/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hooks",
        "http://[::ffff:127.0.0.1]/hooks",
        "http://0.0.0.0/hooks",
        "http://100.64.0.1/hooks",
    ],
)
def test_private_and_loopback_addresses_are_refused(api_client, url):
    with pytest.raises(ValidationError) as error:
        webhooks.webhook_endpoint_add(client=api_client, url=url)
    assert "url" in error.value.message_dict
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://partner.example.org/hooks", "Enter an https:// address."),
        ("ftp://partner.example.org/hooks", "Enter an https:// address."),
        ("https://user:pw@partner.example.org/hooks", "Leave the user name and password out"),
        ("", "Enter the endpoint's address"),
        ("https://" + "a" * 600 + ".org/", "Enter the endpoint's address"),
        ("javascript:alert(1)", "Enter an https:// address."),
    ],
)
def test_production_wants_https_and_a_clean_address(api_client, settings, url, message):
    settings.WEBHOOK_REQUIRE_HTTPS = True
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    with pytest.raises(ValidationError) as error:
        webhooks.webhook_endpoint_add(client=api_client, url=url)
    assert error.value.message_dict["url"][0].startswith(message)


def test_unknown_events_are_refused(api_client, receiver):
    with pytest.raises(ValidationError) as error:
        webhooks.webhook_endpoint_add(
            client=api_client, url=receiver.url, events=["referral.eaten"]
        )
    assert error.value.message_dict["events"] == ["Unknown event: referral.eaten."]


def test_the_command_prints_the_secret_once(api_client, receiver):
    out = StringIO()
    call_command(
        "add_webhook_endpoint", "--client", "Afon EMIS", "--url", receiver.url,
        "--events", "referral.accepted", "referral.closed", stdout=out,
    )  # fmt: skip
    endpoint = WebhookEndpoint.objects.get()
    assert out.getvalue().strip().endswith(endpoint.secret)
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.events == ["referral.accepted", "referral.closed"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--client", "Nobody", "--url", "https://x.example.org/"], "No active API client"),
        (["--client", "Afon EMIS", "--url", "http://10.0.0.1/"], "private, local or reserved"),
        (["--client", "Afon EMIS", "--url", "not a url"], "Enter an http"),
        (["--client", "Afon EMIS", "--url", "https://93.184.215.14/", "--events", "x"], "Unknown"),
    ],
)
def test_the_command_names_what_is_wrong(api_client, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("add_webhook_endpoint", *args, stdout=StringIO())
    assert not WebhookEndpoint.objects.exists()


def test_a_referral_made_through_the_api_is_followed(
    client, django_capture_on_commit_callbacks, practice, scheme, coordinator, receiver
):
    api, token = api_client_create(
        name="Afon EMIS", organisation=practice, scopes=["referrals:write", "referrals:read"]
    )
    endpoint, secret = webhooks.webhook_endpoint_add(client=api, url=receiver.url)
    from referrals.api.examples import REFERRAL_REQUEST  # noqa: PLC0415

    made = client.post(
        "/api/v1/referrals/", REFERRAL_REQUEST, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_IDEMPOTENCY_KEY="0b7c5f0e-8f7c-4a77-9d1e-0c1d2e3f4a5b",
    )  # fmt: skip
    assert made.status_code == 201, made.content
    from referrals.models import Referral  # noqa: PLC0415

    referral = Referral.objects.get(uuid=made.json()["id"])
    _run(django_capture_on_commit_callbacks, referral_accept, referral=referral, actor=coordinator)
    payload = Webhook(secret).verify(receiver.received[0]["body"], receiver.received[0]["headers"])
    assert payload["data"]["id"] == str(referral.uuid)
    assert payload["data"]["url"].endswith(f"/api/v1/referrals/{referral.uuid}/")


def test_a_malformed_contact_email_is_refused(practice):
    with pytest.raises(ValidationError) as error:
        api_client_create(
            name="Afon EMIS", organisation=practice, scopes=["referrals:read"],
            contact_email="not an email",
        )  # fmt: skip
    assert error.value.message_dict["contact_email"] == [
        "Enter a valid email address for the contact."
    ]


def test_the_admin_page_of_a_client_keeps_its_contact_email(client, api_client):
    admin = UserFactory(username="aled", role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin)
    page = client.get(f"/admin/accounts/apiclient/{api_client.pk}/change/")
    assert page.status_code == 200 and "it@afon.example.org" in page.content.decode()


def test_a_revoked_client_is_told_nothing_more(
    django_capture_on_commit_callbacks, referral, coordinator, link_worker, endpoint, receiver
):
    from accounts.services import api_client_revoke  # noqa: PLC0415

    receiver.statuses = [500]
    run = django_capture_on_commit_callbacks
    r = _run(run, referral_accept, referral=referral, actor=coordinator)
    api_client_revoke(client=endpoint.client)
    _run(run, referral_allocate, referral=r, actor=coordinator, link_worker=link_worker)
    _time_passes(10)
    with run(execute=True):
        assert webhooks.webhooks_deliver_due() == 0
    assert receiver.events() == ["referral.accepted"]  # the one failed attempt, before
    assert WebhookMessage.objects.count() == 1  # nothing written for a revoked client


def test_changing_an_endpoint_in_the_admin_goes_through_the_service_and_is_audited(
    client, endpoint, receiver
):
    admin = UserFactory(username="aled", role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = f"/admin/accounts/webhookendpoint/{endpoint.pk}/change/"
    refused = client.post(url, {"url": "ftp://x", "events": ["referral.closed"]})
    assert refused.status_code == 200 and "Enter an http:// or https:// address." in (
        refused.content.decode()
    )
    changed = client.post(url, {"url": receiver.url + "/v2", "events": ["referral.closed"]})
    assert changed.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events) == (receiver.url + "/v2", ["referral.closed"])
    audit = AuditEvent.objects.get(actor=admin, detail__startswith="webhook endpoint changed")
    assert "referral.closed" in audit.detail


def test_410_gone_disables_the_endpoint_at_once(
    django_capture_on_commit_callbacks, referral, coordinator, endpoint, receiver
):
    receiver.statuses = [410]
    _run(django_capture_on_commit_callbacks, referral_accept, referral=referral, actor=coordinator)
    endpoint.refresh_from_db()
    assert endpoint.is_active is False and "410" in endpoint.disabled_reason
    assert WebhookMessage.objects.get().state == "failed"
    assert OutboxEmail.objects.filter(to="it@afon.example.org").exists()
