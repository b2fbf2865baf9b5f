"""Dewi looks for unusual access: many records outside a caseload, out of hours, outside the scheme.

Wednesday 4 March 2026 is an ordinary working day; 7 March is a Saturday and
25 December 2026 is Christmas Day, a bank holiday (loaded by a migration).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.services import audit_record, audit_view
from referrals.models import Status
from tests.factories import LinkWorkerFactory, PersonFactory, ReferralFactory, UserFactory
from tests.privacy.conftest import at, local

pytestmark = pytest.mark.django_db

URL = reverse("privacy:unusual")
MARCH = {"date_from": "2026-03-01", "date_to": "2026-03-31"}
DECEMBER = {"date_from": "2026-12-01", "date_to": "2026-12-31"}


def _report(client, dpo, params=None):
    client.force_login(dpo)
    response = client.get(URL, MARCH if params is None else params)
    assert response.status_code == 200
    return response.context["report"]


def _someone_elses_cases(scheme, other_link_worker, n):
    return [
        ReferralFactory(scheme=scheme, status=Status.IN_PROGRESS, link_worker=other_link_worker)
        for _ in range(n)
    ]


def _read(actor, referrals, moment):
    with at(moment):
        for referral in referrals:
            audit_view(actor=actor, what="case", people=[referral.person],
                       records=[referral.reference])  # fmt: skip


# Many records outside the caseload --------------------------------------------------


def test_a_link_worker_opening_21_others_cases_in_a_day_is_flagged(
    client, dpo, scheme, link_worker, other_link_worker
):
    _read(link_worker, _someone_elses_cases(scheme, other_link_worker, 21), local(2026, 3, 4, 10))
    (day,) = _report(client, dpo).outside_caseload
    assert (day.user, day.day.isoformat(), day.people, day.reads) == (
        link_worker, "2026-03-04", 21, 21,
    )  # fmt: skip
    assert day.reason == (
        "Opened the records of 21 people outside their own caseload (more than 20 in a day)."
    )


def test_twenty_is_not_flagged(client, dpo, scheme, link_worker, other_link_worker):
    _read(link_worker, _someone_elses_cases(scheme, other_link_worker, 20), local(2026, 3, 4, 10))
    assert _report(client, dpo).outside_caseload == []


def test_the_same_person_read_many_times_counts_once(
    client, dpo, scheme, link_worker, other_link_worker
):
    (case,) = _someone_elses_cases(scheme, other_link_worker, 1)
    _read(link_worker, [case] * 30, local(2026, 3, 4, 10))
    assert _report(client, dpo).outside_caseload == []


def test_reads_spread_over_two_days_are_not_flagged(
    client, dpo, scheme, link_worker, other_link_worker
):
    cases = _someone_elses_cases(scheme, other_link_worker, 30)
    _read(link_worker, cases[:15], local(2026, 3, 4, 10))
    _read(link_worker, cases[15:], local(2026, 3, 5, 10))
    assert _report(client, dpo).outside_caseload == []


def test_her_own_cases_and_the_unallocated_queue_do_not_count(
    client, dpo, scheme, link_worker, other_link_worker
):
    own = [ReferralFactory(scheme=scheme, status=Status.CLOSED, link_worker=link_worker,
                           closure_reason="completed") for _ in range(12)]  # fmt: skip
    queue = [ReferralFactory(scheme=scheme, status=Status.ACCEPTED) for _ in range(12)]
    _read(link_worker, own + queue, local(2026, 3, 4, 10))
    assert _report(client, dpo).outside_caseload == []


def test_a_coordinator_reads_the_whole_scheme_without_a_flag(
    client, dpo, scheme, coordinator, other_link_worker
):
    _read(coordinator, _someone_elses_cases(scheme, other_link_worker, 25), local(2026, 3, 4, 10))
    assert _report(client, dpo).outside_caseload == []


def test_the_limit_is_a_setting(client, dpo, scheme, link_worker, other_link_worker, settings):
    settings.AUDIT_UNUSUAL_RECORDS_PER_DAY = 2
    _read(link_worker, _someone_elses_cases(scheme, other_link_worker, 3), local(2026, 3, 4, 10))
    (day,) = _report(client, dpo).outside_caseload
    assert "(more than 2 in a day)" in day.reason


def test_a_peer_navigators_attached_cases_are_their_work(
    client, dpo, scheme, link_worker, coordinator, settings
):
    from linkworkers.models import PeerNavigatorAssignment

    settings.AUDIT_UNUSUAL_RECORDS_PER_DAY = 1
    nia = UserFactory(role="peer_navigator", organisation=scheme)
    cases = [ReferralFactory(scheme=scheme, status=Status.IN_PROGRESS, link_worker=link_worker)
             for _ in range(3)]  # fmt: skip
    for case in cases:
        PeerNavigatorAssignment.objects.create(
            referral=case, user=nia, added_by=coordinator, added_at=timezone.now()
        )
    _read(nia, cases, local(2026, 3, 4, 10))
    assert _report(client, dpo).outside_caseload == []
    _read(nia, [ReferralFactory(scheme=scheme, status=Status.IN_PROGRESS,
                                link_worker=link_worker) for _ in range(2)],
          local(2026, 3, 4, 11))  # fmt: skip
    (day,) = _report(client, dpo).outside_caseload
    assert (day.user, day.people) == (nia, 2)


# Out of hours ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "reason"),
    [
        (local(2026, 3, 4, 21, 30), "Read people's records after 19:00, outside working hours."),
        (local(2026, 3, 4, 6, 30), "Read people's records before 07:00, outside working hours."),
        (local(2026, 3, 7, 11, 0), "Read people's records at the weekend, outside working hours."),
        (local(2026, 12, 25, 10, 0),
         "Read people's records on a bank holiday (Christmas Day), outside working hours."),
    ],
)  # fmt: skip
def test_reads_out_of_hours_are_flagged(client, dpo, link_worker, glenys_referral, moment, reason):
    _read(link_worker, [glenys_referral], moment)
    params = DECEMBER if moment.month == 12 else MARCH
    (day,) = _report(client, dpo, params).out_of_hours
    assert (day.user, day.day, day.people, day.reads) == (link_worker, moment.date(), 1, 1)
    assert day.reason == reason


def test_reads_in_working_hours_are_not(client, dpo, link_worker, glenys_referral):
    _read(link_worker, [glenys_referral], local(2026, 3, 4, 7, 0))
    _read(link_worker, [glenys_referral], local(2026, 3, 4, 18, 59))
    assert _report(client, dpo).out_of_hours == []


def test_only_the_reads_out_of_hours_are_counted(client, dpo, link_worker, glenys_referral,
                                                 other_link_worker, scheme):  # fmt: skip
    _read(link_worker, _someone_elses_cases(scheme, other_link_worker, 5), local(2026, 3, 4, 10))
    _read(link_worker, [glenys_referral], local(2026, 3, 4, 5, 0))
    _read(link_worker, [glenys_referral], local(2026, 3, 4, 22, 0))
    (day,) = _report(client, dpo).out_of_hours
    assert (day.people, day.reads) == (1, 2)
    assert day.reason == (
        "Read people's records before 07:00 and after 19:00, outside working hours."
    )
    assert (timezone.localtime(day.first_at).hour, timezone.localtime(day.last_at).hour) == (5, 22)


def test_a_sign_in_at_night_is_not_a_read(client, dpo, link_worker):
    with at(local(2026, 3, 4, 23, 0)):
        audit_record(actor=link_worker, action=AuditEvent.Action.LOGIN)
    assert _report(client, dpo).out_of_hours == []


def test_partner_systems_and_other_organisations_staff_are_not_flagged_at_night(
    client, dpo, gp, partner_system, glenys_referral
):
    with at(local(2026, 3, 4, 23, 0)):
        audit_view(actor=gp, what="list", people=[glenys_referral.person])
        audit_view(actor=None, api_client=partner_system, what="api",
                   people=[glenys_referral.person])  # fmt: skip
    assert _report(client, dpo).out_of_hours == []


def test_working_hours_are_a_setting(client, dpo, link_worker, glenys_referral, settings):
    settings.AUDIT_WORKING_HOURS = "08:00-18:00"
    _read(link_worker, [glenys_referral], local(2026, 3, 4, 7, 30))
    (day,) = _report(client, dpo).out_of_hours
    assert day.reason == "Read people's records before 08:00, outside working hours."


def test_summer_time_is_uk_time(client, dpo, link_worker, glenys_referral):
    # 18:30 UK time in July is 17:30 UTC: in working hours, whatever the server's clock says.
    _read(link_worker, [glenys_referral], local(2026, 7, 1, 18, 30))
    _read(link_worker, [glenys_referral], local(2026, 7, 2, 19, 30))
    days = _report(client, dpo, {"date_from": "2026-07-01", "date_to": "2026-07-31"}).out_of_hours
    assert [day.day.isoformat() for day in days] == ["2026-07-02"]


# People with no referral in the scheme ----------------------------------------------------


def test_a_read_of_someone_not_referred_to_the_scheme_is_flagged(
    client, dpo, link_worker, bethan_referral, glenys_referral
):
    _read(link_worker, [bethan_referral, glenys_referral], local(2026, 3, 4, 10))
    (day,) = _report(client, dpo).outside_scheme
    assert (day.user, day.people, day.reads) == (link_worker, 1, 1)
    assert day.reason == "Read the record of 1 person who has no referral in this scheme."


def test_a_record_merged_into_someone_of_the_scheme_is_not(client, dpo, link_worker, glenys):
    older = PersonFactory(merged_into=glenys, merged_at=timezone.now())
    with at(local(2026, 3, 4, 10)):
        audit_view(actor=link_worker, what="before the merge", people=[older])
    assert _report(client, dpo).outside_scheme == []


def test_another_schemes_staff_are_not_on_this_page(
    client, dpo, outsider_coordinator, glenys_referral, bethan_referral
):
    _read(outsider_coordinator, [glenys_referral, bethan_referral], local(2026, 3, 7, 23))
    assert _report(client, dpo).count == 0


# The page ------------------------------------------------------------------------------


def test_the_page_explains_each_rule_in_words(client, dpo, link_worker, bethan_referral):
    _read(link_worker, [bethan_referral], local(2026, 3, 7, 23))
    client.force_login(dpo)
    page = client.get(URL, MARCH).content.decode()
    assert "opened the records of more than 20 people outside their own work" in page
    assert "before 07:00 or after 19:00 (UK time), at a weekend, or on a bank holiday" in page
    assert "read the record of a person who has no referral in this scheme" in page
    assert "Read people&#x27;s records at the weekend, outside working hours." in page
    assert "2 flagged days from 1 March 2026 to 31 March 2026." in page
    user_day = reverse("privacy:user_audit", args=[link_worker.uuid])
    assert f"{user_day}?date_from=2026-03-07&amp;date_to=2026-03-07" in page


def test_the_period_is_the_last_30_days_unless_asked(client, dpo, link_worker, glenys_referral):
    today = timezone.localdate()
    long_ago = timezone.now() - timezone.timedelta(days=40)
    with at(long_ago.replace(hour=2)):
        audit_view(actor=link_worker, what="old", people=[glenys_referral.person])
    report = _report(client, dpo, {})
    assert (report.since, report.until) == (today - timezone.timedelta(days=29), today)
    assert report.out_of_hours == []


def test_by_user(client, dpo, link_worker, other_link_worker, glenys_referral):
    _read(link_worker, [glenys_referral], local(2026, 3, 7, 23))
    _read(other_link_worker, [glenys_referral], local(2026, 3, 7, 23))
    days = _report(client, dpo, {**MARCH, "user": str(other_link_worker.uuid)}).out_of_hours
    assert [day.user for day in days] == [other_link_worker]


def test_a_backwards_period_is_explained(client, dpo):
    client.force_login(dpo)
    response = client.get(URL, {"date_from": "2026-03-04", "date_to": "2026-03-01"})
    assert response.status_code == 400
    assert "The to date must not be before the from date." in response.content.decode()


def test_opening_the_page_is_audited(client, dpo):
    client.force_login(dpo)
    client.get(URL)
    own = AuditEvent.objects.filter(actor=dpo).latest("pk")
    assert (own.action, own.detail) == (AuditEvent.Action.VIEW, "unusual access")


def test_the_query_count_does_not_grow_with_the_flags(
    client, dpo, scheme, other_link_worker, bethan_referral, settings, django_assert_num_queries
):
    settings.AUDIT_UNUSUAL_RECORDS_PER_DAY = 1
    cases = _someone_elses_cases(scheme, other_link_worker, 2)

    def add(n):
        for day in range(1, n + 1):
            worker = LinkWorkerFactory(user=UserFactory(role="link_worker", organisation=scheme))
            _read(worker.user, [*cases, bethan_referral], local(2026, 3, day, 22))

    add(1)
    client.force_login(dpo)
    client.get(URL, MARCH)
    with CaptureQueriesContext(connection) as few:
        client.get(URL, MARCH)
    add(8)
    with django_assert_num_queries(len(few.captured_queries)):
        report = client.get(URL, MARCH).context["report"]
    assert len(report.outside_caseload) == len(report.out_of_hours) == 9
    assert len(report.outside_scheme) == 9
