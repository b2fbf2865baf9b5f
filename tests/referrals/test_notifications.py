"""Every role's notifications (issue 16, point 2).

Carys (coordinator, Teg Valley) hears of each new referral and self-referral to
triage; Llinos (link worker) of a case allocated to her; each chooses an email
at once or one daily digest on her account page. The page at /notifications/
lists only her own, marks them read, and answers 404 for anyone else's.
"""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, NotificationEmail
from core.models import OutboxEmail
from core.outbox import EmailNotSent, outbox_email_queue_later, outbox_email_send
from linkworkers.services import referral_allocate
from referrals import selectors, services
from referrals.models import Notification, Status
from referrals.services.notifications import NOTICE_EMAIL
from referrals.tasks import send_notification_digests
from tests.factories import ReferralFactory
from tests.outage import rate_limit_cache_down

pytestmark = pytest.mark.django_db

GLENYS = {
    "given_name": "Glenys", "family_name": "Pritchard", "date_of_birth": date(1948, 3, 2),
    "nhs_number": "943 476 5919", "postcode": "CF10 1AA",
}  # fmt: skip
REFERRAL = {
    "reasons": ["loneliness"], "what_matters": "Would like to sing again.",
    "consent_to_referral": True, "consent_to_share": True,
}  # fmt: skip


def notify(user, referral, count=1, **fields):
    return Notification.objects.bulk_create(
        Notification(recipient=user, referral=referral, message=f"About {referral.reference}",
                     created_at=timezone.now(), **fields)
        for _ in range(count)
    )  # fmt: skip


# The events ------------------------------------------------------------------


def test_a_new_referral_tells_the_schemes_coordinators_and_no_one_else(
    gp_receptionist, coordinator, outsider_coordinator, scheme, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        referral = services.referral_create(
            actor=gp_receptionist, person_details=GLENYS, referral_details=REFERRAL
        )
    notice = Notification.objects.get()
    assert (notice.recipient, notice.kind, notice.referral) == (
        coordinator, Notification.Kind.NEW_REFERRAL, referral,
    )  # fmt: skip
    assert notice.message == f"New referral to triage: Glenys Pritchard ({referral.reference})."
    assert notice.url_path == reverse("referrals:detail", args=[referral.uuid])
    assert notice.emailed_at is not None
    assert [m.to for m in mail.outbox] == [[coordinator.email]]


def test_a_self_referral_tells_them_too_in_their_language(
    coordinator, scheme, django_capture_on_commit_callbacks
):
    coordinator.preferred_language = "cy"
    coordinator.save()
    with django_capture_on_commit_callbacks(execute=True):
        referral = services.referral_create(
            person_details={**GLENYS, "phone": "07700 900123", "contact_method": "phone"},
            referral_details=REFERRAL, scheme=scheme,
        )  # fmt: skip
    notice = Notification.objects.get(recipient=coordinator)
    assert notice.kind == Notification.Kind.NEW_REFERRAL
    assert referral.reference in notice.message


def test_the_email_is_written_when_sent_in_her_language_and_kept(
    gp_receptionist, coordinator, scheme, django_capture_on_commit_callbacks
):
    # The referral pays for a row; the worker that sends it writes its words (issue 18).
    coordinator.preferred_language = "cy"
    coordinator.save()
    with django_capture_on_commit_callbacks(execute=False):
        referral = services.referral_create(
            actor=gp_receptionist, person_details=GLENYS, referral_details=REFERRAL
        )
    email = OutboxEmail.objects.get()
    assert (email.to, email.subject, email.renderer) == (coordinator.email, "", NOTICE_EMAIL)
    assert outbox_email_send(email_id=email.pk) is True
    [message] = mail.outbox
    email.refresh_from_db()
    assert message.subject == email.subject
    assert referral.reference in email.subject and "Glenys Pritchard" in email.body_text
    # In Welsh, though the worker that wrote it had no one's language to go by.
    name = coordinator.get_full_name()
    assert f"Annwyl {name}," in email.body_text and "Gweld rhagor" in email.body_text
    assert referral.reference in email.body_html
    assert (email.renderer, email.render_key) == ("", "")  # what went is on the row
    assert outbox_email_send(email_id=email.pk) is False and len(mail.outbox) == 1


def test_the_email_names_its_notice_by_uuid_and_one_queued_by_id_still_goes(
    gp_receptionist, coordinator, scheme, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        services.referral_create(
            actor=gp_receptionist, person_details=GLENYS, referral_details=REFERRAL
        )
    email = OutboxEmail.objects.get()
    notification = Notification.objects.get()
    assert email.render_key == str(notification.uuid)
    # Queued by an earlier version, which named the notice by its id.
    OutboxEmail.objects.filter(pk=email.pk).update(render_key=str(notification.pk))
    assert outbox_email_send(email_id=email.pk) is True
    assert notification.referral.reference in mail.outbox[0].subject


def _erase_the_notice(coordinator):
    Notification.objects.all().delete()  # an erasure took it before the worker came


def _carys_leaves(coordinator):
    coordinator.is_active = False  # she left the scheme before the worker came
    coordinator.save()


def _carys_moves_to_another_scheme(coordinator):
    from tests.factories import SchemeFactory

    coordinator.organisation = SchemeFactory(name="Glannau")
    coordinator.save()


def _carys_becomes_a_link_worker(coordinator):
    from accounts.models import Role

    coordinator.role = Role.LINK_WORKER
    coordinator.save()


@pytest.mark.parametrize(
    "meanwhile",
    [
        _erase_the_notice,
        _carys_leaves,
        _carys_moves_to_another_scheme,
        _carys_becomes_a_link_worker,
    ],
)
def test_an_email_whose_notice_is_gone_or_whose_reader_left_is_dropped_unsent(
    gp_receptionist, coordinator, scheme, django_capture_on_commit_callbacks, meanwhile
):
    with django_capture_on_commit_callbacks(execute=False):
        services.referral_create(
            actor=gp_receptionist, person_details=GLENYS, referral_details=REFERRAL
        )
    email = OutboxEmail.objects.get()
    meanwhile(coordinator)
    assert outbox_email_send(email_id=email.pk) is False
    assert mail.outbox == [] and not OutboxEmail.objects.exists()


def _told(referrer):
    """The usernames a new referral from `referrer` is announced to (its notices then go)."""
    services.referral_create(actor=referrer, person_details=GLENYS, referral_details=REFERRAL)
    notices = Notification.objects.filter(kind=Notification.Kind.NEW_REFERRAL)
    names = sorted(notice.recipient.username for notice in notices)
    notices.delete()
    return names


def test_whom_a_referral_is_announced_to_follows_each_change_at_once(
    gp_receptionist, coordinator, scheme
):
    """Each process remembers a scheme's coordinators (referrals.selectors); a coordinator
    added, deactivated or moved to another scheme hears, or stops hearing, from the next
    referral on. A sign-in changes nothing and keeps what is remembered."""
    from accounts.models import Role
    from tests.factories import SchemeFactory, UserFactory

    assert _told(gp_receptionist) == [coordinator.username]
    second = UserFactory(role=Role.COORDINATOR, organisation=scheme)
    assert _told(gp_receptionist) == sorted([coordinator.username, second.username])
    coordinator.is_active = False
    coordinator.save()
    assert _told(gp_receptionist) == [second.username]
    second.organisation = SchemeFactory(name="Glannau")
    second.save()
    assert _told(gp_receptionist) == []
    second.organisation = scheme
    second.save()
    assert _told(gp_receptionist) == [second.username]
    assert scheme.pk in selectors._scheme_routes["coordinators"]
    second.last_login = timezone.now()
    second.save(update_fields=["last_login"])
    assert scheme.pk in selectors._scheme_routes["coordinators"]


def test_a_coordinator_added_in_a_transaction_that_rolled_back_is_never_told(
    gp_receptionist, coordinator, scheme
):
    """What this process remembered inside a transaction that changed the routes (a
    coordinator only it could see) is emptied once that transaction rolls back."""
    from django.db import transaction

    from accounts.models import Role
    from tests.factories import UserFactory

    with pytest.raises(ZeroDivisionError), transaction.atomic():
        ghost = UserFactory(role=Role.COORDINATOR, organisation=scheme)
        assert _told(gp_receptionist) == sorted([coordinator.username, ghost.username])
        raise ZeroDivisionError  # the admin's save failed after all
    assert _told(gp_receptionist) == [coordinator.username]


def test_a_change_reaches_the_other_processes_when_committed_and_only_then(
    scheme, coordinator, django_capture_on_commit_callbacks
):
    """The shared version is stamped when the change commits: before, no other process can see
    it, and a change rolled back stamps nothing."""
    from accounts.models import Role
    from tests.factories import UserFactory

    def shared():
        return selectors._scheme_routes_cache().get(selectors.SCHEME_ROUTES_VERSION_KEY)

    selectors._scheme_routes_cache().set(selectors.SCHEME_ROUTES_VERSION_KEY, "before", None)
    with django_capture_on_commit_callbacks(execute=True):
        UserFactory(role=Role.COORDINATOR, organisation=scheme)
        assert shared() == "before"  # not yet committed
    assert shared() not in (None, "before")

    selectors._scheme_routes_cache().set(selectors.SCHEME_ROUTES_VERSION_KEY, "before", None)
    with django_capture_on_commit_callbacks(execute=False) as hooks:
        coordinator.is_active = False
        coordinator.save()
    assert len(hooks) == 1 and shared() == "before"  # rolled back with the test: never stamped


def test_another_process_changing_the_coordinators_empties_this_ones_copy_within_a_second(
    scheme, coordinator, routing_clock
):
    assert selectors.scheme_coordinators_to_tell(scheme.pk) == [coordinator]
    # What another process's change leaves behind: a new version in the shared cache.
    selectors._scheme_routes["coordinators"][scheme.pk] = []
    selectors._scheme_routes_cache().set(selectors.SCHEME_ROUTES_VERSION_KEY, "theirs", None)
    routing_clock(selectors.SCHEME_ROUTES_CHECK_SECONDS / 2)
    assert selectors.scheme_coordinators_to_tell(scheme.pk) == []
    routing_clock(selectors.SCHEME_ROUTES_CHECK_SECONDS / 2)
    assert selectors.scheme_coordinators_to_tell(scheme.pk) == [coordinator]


def test_with_the_cache_down_the_coordinators_are_looked_up_each_time(scheme, coordinator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with rate_limit_cache_down():
        for _ in range(2):
            with CaptureQueriesContext(connection) as queries:
                assert selectors.scheme_coordinators_to_tell(scheme.pk) == [coordinator]
            assert len(queries.captured_queries) == 1


def test_an_smtp_failure_keeps_the_words_written_for_the_retry(
    gp_receptionist, coordinator, scheme, django_capture_on_commit_callbacks, monkeypatch
):
    with django_capture_on_commit_callbacks(execute=False):
        services.referral_create(
            actor=gp_receptionist, person_details=GLENYS, referral_details=REFERRAL
        )
    email = OutboxEmail.objects.get()

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("SMTP down")

    with monkeypatch.context() as patch:
        patch.setattr(EmailMultiAlternatives, "send", refuse)
        with pytest.raises(EmailNotSent):
            outbox_email_send(email_id=email.pk)
    email.refresh_from_db()
    written = (email.subject, email.body_text, email.body_html)
    assert email.attempts == 1 and email.renderer == "" and all(written)
    Notification.objects.all().delete()  # the words no longer depend on it
    assert outbox_email_send(email_id=email.pk) is True
    [message] = mail.outbox
    assert (message.subject, message.body) == written[:2]


def test_an_unknown_renderer_is_refused_when_queued(coordinator):
    with pytest.raises(LookupError, match="no-such-renderer"):
        outbox_email_queue_later(to=coordinator.email, renderer="no-such-renderer", key="1")
    assert not OutboxEmail.objects.exists()


def test_a_referral_that_fails_tells_no_one(gp_receptionist, coordinator, scheme):
    with pytest.raises(Exception):  # noqa: B017 - any refusal: nothing may be left behind
        services.referral_create(
            actor=gp_receptionist, person_details={**GLENYS, "family_name": ""},
            referral_details=REFERRAL,
        )  # fmt: skip
    assert not Notification.objects.exists() and not OutboxEmail.objects.exists()


def test_allocation_tells_the_link_worker(referral, coordinator, link_worker):
    referral = services.referral_accept(referral=referral, actor=coordinator)
    referral_allocate(referral=referral, actor=coordinator, link_worker=link_worker)
    notice = Notification.objects.get(recipient=link_worker)
    assert notice.kind == Notification.Kind.ALLOCATED
    assert "is now on your caseload, allocated by Carys" in notice.message


def test_a_refused_allocation_tells_no_one(referral, coordinator, link_worker):
    # Still "received": allocation is refused and the link worker hears nothing.
    with pytest.raises(Exception):  # noqa: B017
        referral_allocate(referral=referral, actor=coordinator, link_worker=link_worker)
    assert not Notification.objects.filter(recipient=link_worker).exists()


# The email: at once, or the daily digest -------------------------------------------


def test_a_digest_reader_gets_no_email_at_once_then_one_digest(
    referral, coordinator, link_worker, django_capture_on_commit_callbacks
):
    link_worker.notification_email = NotificationEmail.DAILY
    link_worker.save()
    with django_capture_on_commit_callbacks(execute=True):
        referral = services.referral_accept(referral=referral, actor=coordinator)
        referral_allocate(referral=referral, actor=coordinator, link_worker=link_worker)
    assert link_worker.email not in [m.to[0] for m in mail.outbox]
    notice = Notification.objects.get(recipient=link_worker)
    assert notice.emailed_at is None
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_notification_digests() == 1
    (digest,) = mail.outbox
    assert digest.to == [link_worker.email]
    assert digest.subject == "1 new notification"
    assert referral.reference in digest.body and "/notifications/" in digest.body
    notice.refresh_from_db()
    assert notice.emailed_at is not None
    # Run again (or a second worker): nothing left, nothing sent.
    with django_capture_on_commit_callbacks(execute=True):
        assert send_notification_digests() == 0
    assert len(mail.outbox) == 1


def test_a_digest_of_nothing_is_not_sent(referral, link_worker):
    link_worker.notification_email = NotificationEmail.DAILY
    link_worker.save()
    assert services.notification_digests_send() == 0
    # Already read in the app: nothing to tell by email.
    notify(link_worker, referral, read_at=timezone.now())
    assert services.notification_digests_send() == 0
    assert not OutboxEmail.objects.exists()


def test_the_digest_job_asks_a_fixed_number_of_queries(
    referral, link_worker, other_link_worker, django_assert_max_num_queries
):
    for user in (link_worker, other_link_worker):
        user.notification_email = NotificationEmail.DAILY
        user.save()
    notify(link_worker, referral, count=3)
    notify(other_link_worker, referral, count=1)
    with django_assert_max_num_queries(20):
        assert services.notification_digests_send() == 2
    notify(link_worker, referral, count=30)
    notify(other_link_worker, referral, count=30)
    with django_assert_max_num_queries(20):
        assert services.notification_digests_send() == 2


def test_one_failing_digest_does_not_stop_the_others(
    referral, link_worker, other_link_worker, monkeypatch
):
    from referrals.services import notifications as module

    for user in (link_worker, other_link_worker):
        user.notification_email = NotificationEmail.DAILY
        user.save()
        notify(user, referral)
    real = module.outbox_email_queue

    def broken_for_llinos(**kwargs):
        if kwargs["to"] == link_worker.email:
            raise RuntimeError("template broke")
        return real(**kwargs)

    monkeypatch.setattr(module, "outbox_email_queue", broken_for_llinos)
    assert services.notification_digests_send() == 1
    # Llinos's rows were rolled back with her failed digest: tomorrow's run tries again.
    assert Notification.objects.filter(recipient=link_worker, emailed_at__isnull=True).count() == 1


def test_she_chooses_the_digest_on_her_account_page(client, link_worker):
    client.force_login(link_worker)
    page = client.get(reverse("accounts:account"))
    assert page.status_code == 200 and "daily digest" in page.content.decode()
    response = client.post(reverse("accounts:account"), {"notification_email": "daily"})
    assert response.status_code == 302
    link_worker.refresh_from_db()
    assert link_worker.notification_email == NotificationEmail.DAILY
    assert AuditEvent.objects.filter(actor=link_worker, action="change").exists()


def test_a_choice_not_offered_is_refused_naming_the_field(client, link_worker):
    client.force_login(link_worker)
    response = client.post(reverse("accounts:account"), {"notification_email": "hourly"})
    assert response.status_code == 200
    assert "notification_email" in response.context["form"].errors
    link_worker.refresh_from_db()
    assert link_worker.notification_email == NotificationEmail.IMMEDIATELY


def test_the_service_refuses_an_unknown_choice():
    from accounts.services import user_notification_email_set
    from core.exceptions import ValidationError
    from tests.factories import UserFactory

    user = UserFactory()
    with pytest.raises(ValidationError) as refused:
        user_notification_email_set(user=user, choice="weekly")
    assert "notification_email" in refused.value.field_errors


# The page ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["referrer", "coordinator", "link_worker", "provider", "commissioner"]
)
def test_every_role_has_the_page_with_the_unread_count_in_the_header(
    client, people, referral, role
):
    user = people[role]
    notify(user, referral, count=2)
    client.force_login(user)
    html = client.get(reverse("notifications:list")).content.decode()
    assert 'data-testid="unread-count">2<' in html
    assert html.count(f"About {referral.reference}") == 2


def test_the_header_says_nothing_when_all_is_read_and_99_plus_beyond(client, link_worker, referral):
    client.force_login(link_worker)
    assert "unread-count" not in client.get(reverse("home")).content.decode()
    notify(link_worker, referral, count=120)
    assert 'data-testid="unread-count">99+<' in client.get(reverse("home")).content.decode()


def test_the_header_count_failing_is_no_error_page(client, link_worker, referral, monkeypatch):
    from django.db import OperationalError

    from referrals import selectors

    def broken(*args, **kwargs):
        raise OperationalError("too many connections")

    monkeypatch.setattr(selectors, "unread_notification_count", broken)
    client.force_login(link_worker)
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 200 and "unread-count" not in response.content.decode()


def test_the_old_address_leads_to_the_new_one(client, link_worker):
    client.force_login(link_worker)
    response = client.get("/referrals/notifications/?page=2")
    assert response.status_code == 301
    assert response["Location"] == "/notifications/?page=2"


def test_she_sees_only_her_own_and_others_ids_answer_404(
    client, link_worker, coordinator, referral
):
    (hers,) = notify(link_worker, referral)
    (theirs,) = notify(coordinator, referral)
    client.force_login(link_worker)
    html = client.get(reverse("notifications:list")).content.decode()
    assert str(hers.uuid) in html and str(theirs.uuid) not in html
    for name in ("notifications:open", "notifications:read"):
        assert client.post(reverse(name, args=[theirs.uuid])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_open_marks_it_read_and_leads_where_it_was_written_for(client, link_worker, referral):
    (notice,) = notify(link_worker, referral, url_path=f"/cases/{referral.uuid}/connections/")
    client.force_login(link_worker)
    response = client.post(reverse("notifications:open", args=[notice.uuid]))
    assert response["Location"] == f"/cases/{referral.uuid}/connections/"
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_open_never_leads_off_the_site(client, link_worker, referral):
    (notice,) = notify(link_worker, referral, url_path="//evil.example/")
    client.force_login(link_worker)
    response = client.post(reverse("notifications:open", args=[notice.uuid]))
    assert response["Location"] == reverse("referrals:detail", args=[referral.uuid])


def test_mark_one_read_then_all_read(client, link_worker, referral):
    first, *_rest = notify(link_worker, referral, count=3)
    client.force_login(link_worker)
    response = client.post(reverse("notifications:read", args=[first.uuid]), {"page": "1"})
    assert response["Location"] == "/notifications/?page=1"
    assert Notification.objects.filter(recipient=link_worker, read_at__isnull=True).count() == 2
    response = client.post(reverse("notifications:list"), follow=True)
    assert "2 notifications marked as read." in response.content.decode()
    assert not Notification.objects.filter(recipient=link_worker, read_at__isnull=True).exists()


def test_a_hostile_page_number_is_no_error(client, link_worker, referral):
    notify(link_worker, referral, count=30)
    client.force_login(link_worker)
    for page in ("2", "999", "-1", "abc", "٣", "1' OR '1'='1"):
        assert client.get(reverse("notifications:list"), {"page": page}).status_code == 200
    (notice,) = notify(link_worker, referral)
    response = client.post(reverse("notifications:read", args=[notice.uuid]), {"page": "٣"})
    assert response["Location"] == "/notifications/"


def test_the_page_is_paginated_with_flat_queries_and_audited(
    client, link_worker, django_assert_max_num_queries
):
    client.force_login(link_worker)
    referrals = ReferralFactory.create_batch(3, link_worker=link_worker, status=Status.ALLOCATED)
    for referral in referrals:
        notify(link_worker, referral)
    client.get(reverse("notifications:list"))
    with django_assert_max_num_queries(13) as few:
        client.get(reverse("notifications:list"))
    for referral in referrals:
        notify(link_worker, referral, count=20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("notifications:list"))
    assert "Page 1 of 3" in page.content.decode()
    event = AuditEvent.objects.filter(actor=link_worker, detail="notifications").latest("pk")
    assert set(event.subjects.values_list("person_uuid", flat=True)) <= {
        r.person.uuid for r in referrals
    }


def test_a_provider_opens_to_their_referrals_page(client, provider_user, referral):
    (notice,) = notify(provider_user, referral)
    client.force_login(provider_user)
    response = client.post(reverse("notifications:open", args=[notice.uuid]))
    assert response["Location"] == reverse("providers:connections")


def test_reminders_are_of_the_reminder_kind(referral, link_worker, coordinator):
    from linkworkers.services import holds_resume_due

    referral = services.referral_accept(referral=referral, actor=coordinator)
    referral = referral_allocate(referral=referral, actor=coordinator, link_worker=link_worker)
    referral = services.referral_start(referral=referral, actor=link_worker)
    services.referral_hold(
        referral=referral, actor=link_worker, review_date=timezone.localdate() + timedelta(days=1)
    )
    assert holds_resume_due(today=timezone.localdate() + timedelta(days=1)) == 1
    assert Notification.objects.filter(recipient=link_worker, kind="reminder").count() == 1


def test_the_coordinators_written_in_sql_are_those_the_queryset_finds(scheme, coordinator):
    """scheme_coordinators writes out the ORM's filter: active coordinators of this scheme,
    in id order, whole records; not a deactivated one, another role, another scheme's."""
    from accounts.models import Role, User
    from referrals.selectors import scheme_coordinators
    from tests.factories import SchemeFactory, UserFactory

    second = UserFactory(role=Role.COORDINATOR, organisation=scheme)
    UserFactory(role=Role.COORDINATOR, organisation=scheme, is_active=False)
    UserFactory(role=Role.LINK_WORKER, organisation=scheme)
    UserFactory(role=Role.COORDINATOR, organisation=SchemeFactory(name="Glannau"))
    expected = list(
        User.objects.filter(role=Role.COORDINATOR, organisation_id=scheme.pk, is_active=True)
        .order_by("pk")
    )  # fmt: skip
    found = scheme_coordinators(scheme.pk)
    assert found == expected == sorted([coordinator, second], key=lambda user: user.pk)
    for user in found:
        assert User.objects.filter(pk=user.pk).values().get() == {
            field.attname: getattr(user, field.attname) for field in User._meta.concrete_fields
        }
    assert scheme_coordinators(None) == []
