"""Llinos's diary: her week's dates, the coordinator's view of it, and her calendar feed."""

from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from accounts.models import AuditEvent
from linkworkers.models import DiaryFeedToken
from linkworkers.selectors import diary_feed_owner, diary_for, week_start_of
from linkworkers.services import diary_feed_token_revoke, diary_feed_token_rotate
from referrals.models import Status
from tests.factories import (
    ConnectionFactory,
    ContactFactory,
    GoalFactory,
    OutcomeMeasureFactory,
    ReferralFactory,
)

pytestmark = pytest.mark.django_db

DIARY = reverse("diary:diary")
FEED = reverse("diary_feed")


def _at(day: date):
    return timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=10))


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def busy_week(scheme, link_worker, today):
    """One of each kind of date on Llinos's cases, all in this week or the one before."""
    monday = week_start_of(today)
    planned = ReferralFactory(scheme=scheme, link_worker=link_worker, status=Status.IN_PROGRESS,
                              person__given_name="Aled", person__family_name="Jones")  # fmt: skip
    ContactFactory(referral=planned, happened_at=_at(monday - timedelta(days=3)),
                   next_contact_on=monday + timedelta(days=1))  # fmt: skip
    on_hold = ReferralFactory(scheme=scheme, link_worker=link_worker, status=Status.ON_HOLD,
                              hold_review_date=monday + timedelta(days=2),
                              person__given_name="Betsan",
                              person__family_name="Hughes")  # fmt: skip
    goal = ReferralFactory(scheme=scheme, link_worker=link_worker, status=Status.IN_PROGRESS,
                           person__given_name="Cai", person__family_name="Lloyd")  # fmt: skip
    GoalFactory(referral=goal, target_date=monday + timedelta(days=3))
    measured = ReferralFactory(scheme=scheme, link_worker=link_worker, status=Status.IN_PROGRESS,
                               person__given_name="Delyth", person__family_name="Owen")  # fmt: skip
    OutcomeMeasureFactory(referral=measured, answered_on=monday + timedelta(days=4) - timedelta(
        weeks=12))  # fmt: skip
    waiting = ReferralFactory(scheme=scheme, link_worker=link_worker, status=Status.IN_PROGRESS,
                              person__given_name="Elin", person__family_name="Price")  # fmt: skip
    ConnectionFactory(referral=waiting, status="referred",
                      referred_at=_at(monday + timedelta(days=5)) - timedelta(days=7))  # fmt: skip
    late = ReferralFactory(scheme=scheme, link_worker=link_worker, status=Status.IN_PROGRESS,
                           person__given_name="Ffion", person__family_name="Rees")  # fmt: skip
    ContactFactory(referral=late, happened_at=_at(monday - timedelta(days=20)),
                   next_contact_on=monday - timedelta(days=4))  # fmt: skip
    return {"planned": planned, "on_hold": on_hold, "goal": goal, "measured": measured,
            "waiting": waiting, "late": late}  # fmt: skip


def _week(diary):
    return {
        day.on.weekday(): [(entry.kind, entry.referral.person.given_name) for entry in day.entries]
        for day in diary.days
        if day.entries
    }


def test_her_week_holds_each_kind_of_date(link_worker, busy_week, today):
    diary = diary_for(link_worker, link_worker, week_start=week_start_of(today), today=today)
    assert _week(diary) == {
        1: [("follow_up", "Aled")],
        2: [("review", "Betsan")],
        3: [("goal", "Cai")],
        4: [("outcome", "Delyth")],
        5: [("connection", "Elin")],
    }
    # Still to do from last week: on the week that holds today, not lost.
    assert [(e.kind, e.referral.person.given_name, e.overdue) for e in diary.earlier] == [
        ("follow_up", "Ffion", True)
    ]
    assert [day.is_today for day in diary.days].count(True) == 1


def test_next_week_is_empty_and_carries_nothing_over(link_worker, busy_week, today):
    start = week_start_of(today) + timedelta(days=7)
    diary = diary_for(link_worker, link_worker, week_start=start, today=today)
    assert _week(diary) == {} and diary.earlier == []
    assert not any(day.is_today for day in diary.days)


def test_the_page_shows_her_week_and_audits_the_people_on_it(client, link_worker, busy_week):
    client.force_login(link_worker)
    response = client.get(DIARY)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Aled Jones" in page and busy_week["planned"].reference in page
    assert 'aria-current="date"' in page
    event = AuditEvent.objects.filter(action="view", detail__startswith="diary of").latest("pk")
    named = set(event.subjects.values_list("person_uuid", flat=True))
    assert {str(r.person.uuid) for r in busy_week.values()} <= {str(u) for u in named}


def test_previous_and_next_weeks(client, link_worker, busy_week, today):
    client.force_login(link_worker)
    last_week = week_start_of(today) - timedelta(days=7)
    response = client.get(DIARY, {"week": (last_week + timedelta(days=3)).isoformat()})
    assert response.context["diary"].week_start == last_week
    assert f"?week={(last_week - timedelta(days=7)).isoformat()}" in response.content.decode()


@pytest.mark.parametrize("week", ["yesterday", "2026-02-30", "0001-01-01", "9999-12-31", "٢٠٢٦"])
def test_a_bad_week_names_the_field_and_shows_this_week(client, link_worker, today, week):
    client.force_login(link_worker)
    response = client.get(DIARY, {"week": week})
    assert response.status_code == 200
    assert "week" in response.context["form"].errors
    assert response.context["diary"].week_start == week_start_of(today)


def test_other_link_workers_cases_are_not_in_her_diary(
    client, link_worker, other_link_worker, scheme, today
):
    theirs = ReferralFactory(scheme=scheme, link_worker=other_link_worker,
                             status=Status.ON_HOLD, hold_review_date=today)  # fmt: skip
    client.force_login(link_worker)
    assert theirs.reference not in client.get(DIARY).content.decode()
    # Nor can she open theirs.
    assert client.get(DIARY, {"worker": str(other_link_worker.uuid)}).status_code == 404


def test_the_coordinator_opens_a_link_workers_diary(client, coordinator, link_worker, busy_week):
    client.force_login(coordinator)
    response = client.get(DIARY)
    assert response.status_code == 200 and response.context["owner"] is None
    response = client.get(DIARY, {"worker": str(link_worker.uuid)})
    assert response.status_code == 200
    assert busy_week["on_hold"].reference in response.content.decode()
    # Her diary's feed is hers alone: the coordinator gets no feed controls for it.
    assert "feed_token" not in response.context


def test_another_schemes_coordinator_gets_404(client, outsider_coordinator, link_worker):
    client.force_login(outsider_coordinator)
    assert client.get(DIARY, {"worker": str(link_worker.uuid)}).status_code == 404


@pytest.mark.parametrize("name", ["referrer", "provider", "commissioner", "outsider_referrer"])
def test_roles_without_a_diary_get_404(client, people, name):
    client.force_login(people[name])
    assert client.get(DIARY).status_code == 404


@pytest.mark.parametrize("worker", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "'"])
def test_a_bad_worker_is_404(client, coordinator, worker):
    client.force_login(coordinator)
    assert client.get(DIARY, {"worker": worker}).status_code == 404


def test_nobody_signed_in_is_sent_to_sign_in(client):
    assert client.get(DIARY).status_code == 302


def test_the_page_takes_the_same_queries_however_many_cases(
    client, link_worker, scheme, today, django_assert_max_num_queries
):
    def cases(count):
        for _ in range(count):
            case = ReferralFactory(scheme=scheme, link_worker=link_worker,
                                   status=Status.ON_HOLD, hold_review_date=today)  # fmt: skip
            ContactFactory(referral=case, next_contact_on=today)
            GoalFactory(referral=case, target_date=today)

    cases(2)
    client.force_login(link_worker)
    with django_assert_max_num_queries(40) as few:
        client.get(DIARY)
    cases(15)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(DIARY).context["diary"].referrals) == 17


# The feed ------------------------------------------------------------------------


def test_she_makes_a_feed_address_and_sees_it_once(client, link_worker, busy_week):
    client.force_login(link_worker)
    response = client.post(reverse("diary:feed_rotate"))
    assert response.status_code == 302
    page = client.get(DIARY)
    address = page.context["new_feed_address"]
    assert address.startswith("http://testserver/diary/feed.ics?token=spd_")
    # Only its hash is kept, and the address is not shown again.
    token = address.split("token=", 1)[1]
    assert token not in DiaryFeedToken.objects.get(user=link_worker).token_hash
    assert client.get(DIARY).context["new_feed_address"] is None
    assert AuditEvent.objects.filter(detail="diary feed address made", actor=link_worker).exists()


def test_the_feed_holds_her_dates_by_reference_and_no_names(client, link_worker, busy_week):
    token = diary_feed_token_rotate(user=link_worker)
    client.logout()
    response = client.get(FEED, {"token": token})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = calendar.walk("VEVENT")
    summaries = sorted(str(event["SUMMARY"]) for event in events)
    references = {case.reference for case in busy_week.values()}
    assert len(events) == 6
    assert all(summary.split(": ")[-1] in references for summary in summaries)
    assert "Contact planned: " + busy_week["planned"].reference in summaries
    text = response.content.decode()
    for case in busy_week.values():
        person = case.person
        for detail in (person.given_name, person.family_name, person.nhs_number, person.phone,
                       person.postcode, case.what_matters):  # fmt: skip
            assert detail not in text, detail
    # Each date is all day, and the same date of the same case keeps its UID.
    again = Calendar.from_ical(client.get(FEED, {"token": token}).content).walk("VEVENT")
    assert sorted(str(e["UID"]) for e in events) == sorted(str(e["UID"]) for e in again)
    assert all(type(e.decoded("DTSTART")) is date for e in events)


def test_the_feed_is_in_her_language(client, link_worker, busy_week):
    link_worker.preferred_language = "cy"
    link_worker.save()
    token = diary_feed_token_rotate(user=link_worker)
    response = client.get(FEED, {"token": token})
    assert response.status_code == 200


@pytest.mark.parametrize("token", ["", "spd_wrong", "x" * 5000, "' OR 1=1 --", "\x00"])
def test_a_wrong_token_is_404(client, link_worker, token):
    diary_feed_token_rotate(user=link_worker)
    assert client.get(FEED, {"token": token}).status_code == 404


def test_no_token_is_404(client):
    assert client.get(FEED).status_code == 404


def test_a_calendar_app_may_look_first(client, link_worker):
    token = diary_feed_token_rotate(user=link_worker)
    assert client.head(FEED, {"token": token}).status_code == 200


def test_a_new_address_stops_the_old_one(client, link_worker):
    old = diary_feed_token_rotate(user=link_worker)
    new = diary_feed_token_rotate(user=link_worker)
    assert client.get(FEED, {"token": old}).status_code == 404
    assert client.get(FEED, {"token": new}).status_code == 200


def test_a_revoked_address_is_404(client, link_worker):
    token = diary_feed_token_rotate(user=link_worker)
    client.force_login(link_worker)
    assert client.post(reverse("diary:feed_revoke")).status_code == 302
    assert client.get(FEED, {"token": token}).status_code == 404
    assert not DiaryFeedToken.objects.filter(user=link_worker).exists()
    assert diary_feed_token_revoke(user=link_worker) is False


def test_a_deactivated_link_worker_has_no_feed(client, link_worker):
    token = diary_feed_token_rotate(user=link_worker)
    link_worker.is_active = False
    link_worker.save()
    assert diary_feed_owner(token) is None
    assert client.get(FEED, {"token": token}).status_code == 404


@pytest.mark.parametrize("name", ["coordinator", "referrer", "provider", "commissioner"])
def test_only_a_link_worker_makes_a_feed(client, people, name):
    client.force_login(people[name])
    assert client.post(reverse("diary:feed_rotate")).status_code == 404
    assert not DiaryFeedToken.objects.exists()


def test_making_an_address_needs_a_post(client, link_worker):
    client.force_login(link_worker)
    assert client.get(reverse("diary:feed_rotate")).status_code == 405
    assert client.post(FEED).status_code == 405


def test_her_feed_holds_only_her_own_cases(client, link_worker, other_link_worker, scheme, today):
    mine = ReferralFactory(scheme=scheme, link_worker=link_worker, status=Status.ON_HOLD,
                           hold_review_date=today)  # fmt: skip
    theirs = ReferralFactory(scheme=scheme, link_worker=other_link_worker,
                             status=Status.ON_HOLD, hold_review_date=today)  # fmt: skip
    text = client.get(FEED, {"token": diary_feed_token_rotate(user=link_worker)}).content.decode()
    assert mine.reference in text and theirs.reference not in text


def test_the_feed_takes_the_same_queries_however_many_cases(
    client, link_worker, scheme, today, django_assert_max_num_queries
):
    token = diary_feed_token_rotate(user=link_worker)

    def cases(count):
        for _ in range(count):
            case = ReferralFactory(scheme=scheme, link_worker=link_worker,
                                   status=Status.ON_HOLD, hold_review_date=today)  # fmt: skip
            ContactFactory(referral=case, next_contact_on=today)

    cases(2)
    with django_assert_max_num_queries(20) as few:
        client.get(FEED, {"token": token})
    cases(15)
    with django_assert_max_num_queries(len(few.captured_queries)):
        events = Calendar.from_ical(client.get(FEED, {"token": token}).content).walk("VEVENT")
    assert len(events) == 34
