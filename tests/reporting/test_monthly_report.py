"""On the 1st, Carys gets last month's figures for her scheme by email: once, in her language."""

from datetime import date, datetime, timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core import mail
from django.utils import timezone

from accounts.models import Role
from core.models import OutboxEmail
from reporting import services, tasks
from reporting.models import MonthlyReportSent
from reporting.selectors import Filters, dashboard_tables, reporting_scope_for
from reporting.templatetags.reporting_tables import plain_cell
from tests.factories import ReferralFactory, SchemeFactory, UserFactory
from tests.reporting import ui_stories

# The people of the stories (fixtures are found by their names here).
cluster = ui_stories.cluster
commissioner = ui_stories.commissioner
coordinator = ui_stories.coordinator
english = ui_stories.english
fake_dashboard = ui_stories.fake_dashboard
fast_password_hashing = ui_stories.fast_password_hashing
link_worker = ui_stories.link_worker
practice = ui_stories.practice
receptionist = ui_stories.receptionist
scheme = ui_stories.scheme

pytestmark = pytest.mark.django_db

FIRST_OF_APRIL = date(2026, 4, 1)
MARCH = date(2026, 3, 1)


def test_carys_gets_marchs_figures_on_the_first_of_april(coordinator, fake_dashboard):
    assert services.monthly_reports_send(today=FIRST_OF_APRIL) == 1
    email = OutboxEmail.objects.get()
    assert email.to == coordinator.email
    assert email.subject == "Teg Valley Community Connectors: the figures for March 2026"
    assert "Here are the figures for Teg Valley Community Connectors for March 2026" in (
        email.body_text
    )
    assert f"{settings.SITE_URL}/reporting/?start=2026-03&end=2026-03" in email.body_text
    assert '<html lang="en">' in email.body_html
    claim = MonthlyReportSent.objects.get()
    assert (claim.user, claim.month) == (coordinator, MARCH)


def test_the_figures_are_her_schemes_exact_counts_for_that_month(
    coordinator, scheme, fake_dashboard
):
    services.monthly_reports_send(today=FIRST_OF_APRIL)
    (call,) = fake_dashboard
    assert (call["filters"].start, call["filters"].end) == (MARCH, MARCH)
    assert call["filters"].scheme == scheme and call["filters"].area_ids == set()
    assert call["scope"].exact and call["suppress"] is None


@pytest.fixture
def march(scheme, cluster, practice):
    """Seven referrals the scheme received in March 2026 (three accepted, two contacted), one
    in February and one to another scheme: only March's seven are the scheme's month."""
    received = timezone.make_aware(datetime(2026, 3, 9, 10, 0))

    def referral(days=0, **fields):
        return ReferralFactory(
            scheme=scheme, area=cluster, referring_organisation=practice,
            received_at=received + timedelta(days=days), **fields,
        )  # fmt: skip

    for day in range(4):
        referral(days=day)
    for wait in (2, 6):
        referral(
            accepted_at=received + timedelta(days=1),
            allocated_at=received + timedelta(days=1),
            first_contact_at=received + timedelta(days=wait),
        )
    referral(accepted_at=received + timedelta(days=1))
    referral(days=-20)  # February
    ReferralFactory(received_at=received)  # another scheme
    services.rollup_full()


def test_the_email_shows_the_figures_the_tables_hold(coordinator, scheme, march):
    services.monthly_reports_send(today=FIRST_OF_APRIL)
    email = OutboxEmail.objects.get()
    text, html = email.body_text, email.body_html
    # Exact counts for her own scheme: small numbers are not hidden from its manager.
    assert "- Received: 7" in text
    assert "- Accepted: 3" in text
    assert "- Median wait (days): 4" in text
    assert "- Contacted within 10 working days (%): 100.0" in text
    assert "- Connections made: 0" in text
    assert "- Connected, then closed as completed: 0" in text
    assert "&lt;5" not in html and "<5" not in text
    tables = dashboard_tables(
        scope=reporting_scope_for(coordinator),
        filters=Filters(start=MARCH, end=MARCH, scheme=scheme, area_ids=set()),
    )
    funnel = next(table for table in tables if table.key == "funnel")
    assert f"<caption>{funnel.title}</caption>" in html
    for stage, referrals, *_rates in funnel.rows:
        assert f'<th scope="row" align="left">{stage}</th><td align="right">{referrals}</td>' in (
            html
        )
    figures = services.monthly_report_figures(tables)
    assert [label for label, _value, _column in figures] == [
        "Received",
        "Accepted",
        "Median wait (days)",
        "Contacted within 10 working days (%)",
        "Connections made",
        "Connected, then closed as completed",
    ]
    for label, value, column in figures:
        assert f'<th scope="row" align="left">{label}</th><td align="right">' in html
        assert f"- {label}: {plain_cell(value, column)}" in text


def test_running_the_job_twice_sends_once(coordinator, fake_dashboard):
    first = tasks.send_monthly_reports.apply().get()
    second = tasks.send_monthly_reports.apply().get()
    assert (first, second) == (1, 0)
    assert MonthlyReportSent.objects.filter(user=coordinator).count() == 1
    assert OutboxEmail.objects.count() == 1
    assert len(fake_dashboard) == 1  # the second run did not even count


def test_a_claim_already_made_sends_nothing(coordinator, fake_dashboard):
    # Two workers at the same moment: the one that finds the claim made sends nothing.
    MonthlyReportSent.objects.create(user=coordinator, month=MARCH, created_at=timezone.now())
    assert services.monthly_report_send(manager=coordinator, month=MARCH) is False
    assert not OutboxEmail.objects.exists()


def test_next_month_she_gets_the_next_report(coordinator, fake_dashboard):
    services.monthly_reports_send(today=FIRST_OF_APRIL)
    services.monthly_reports_send(today=date(2026, 5, 1))
    assert list(MonthlyReportSent.objects.values_list("month", flat=True).order_by("month")) == [
        MARCH,
        date(2026, 4, 1),
    ]


def test_january_reports_on_last_december(coordinator, fake_dashboard):
    services.monthly_reports_send(today=date(2027, 1, 1))
    assert MonthlyReportSent.objects.get().month == date(2026, 12, 1)


def test_a_welsh_speaking_manager_gets_it_in_welsh(coordinator, fake_dashboard):
    coordinator.preferred_language = "cy"
    coordinator.save()
    services.monthly_reports_send(today=FIRST_OF_APRIL)
    email = OutboxEmail.objects.get()
    assert '<html lang="cy">' in email.body_html
    assert "/cy/reporting/?start=2026-03&amp;end=2026-03" in email.body_html
    assert "/cy/reporting/?start=2026-03&end=2026-03" in email.body_text
    assert "Mawrth 2026" in email.subject  # Django's own Welsh month names
    # The figures were counted with Welsh on, so the tables' titles are in Welsh too.
    assert fake_dashboard[0]["language"] == "cy"


def test_nobody_else_gets_it(
    coordinator, commissioner, link_worker, receptionist, scheme, fake_dashboard
):
    UserFactory(role=Role.COORDINATOR, organisation=scheme, is_active=False)  # has left
    UserFactory(role=Role.COORDINATOR, organisation=scheme, email="")  # no address
    UserFactory(role=Role.COORDINATOR)  # a coordinator at a GP practice: no scheme
    assert services.monthly_reports_send(today=FIRST_OF_APRIL) == 1
    assert list(OutboxEmail.objects.values_list("to", flat=True)) == [coordinator.email]


def test_each_schemes_managers_get_their_own_schemes_report(coordinator, fake_dashboard):
    other = UserFactory(
        role=Role.COORDINATOR, organisation=SchemeFactory(name="Glannau Connectors")
    )
    assert services.monthly_reports_send(today=FIRST_OF_APRIL) == 2
    subjects = dict(OutboxEmail.objects.values_list("to", "subject"))
    assert subjects[other.email].startswith("Glannau Connectors:")
    assert subjects[coordinator.email].startswith("Teg Valley Community Connectors:")


def test_the_email_goes_through_the_outbox_and_is_sent_after_commit(
    coordinator, fake_dashboard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.monthly_reports_send(today=FIRST_OF_APRIL)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [coordinator.email]
    assert OutboxEmail.objects.get().sent_at is not None


def test_beat_sends_it_on_the_first_at_seven():
    (entry,) = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "reporting.send_monthly_reports"
    ]
    assert entry["schedule"] == crontab(day_of_month="1", hour=7, minute=0)
    assert tasks.send_monthly_reports.name == "reporting.send_monthly_reports"
