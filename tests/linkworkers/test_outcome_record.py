"""Llinos records Glenys's wellbeing item by item; nobody else outside the case can."""
# ruff: noqa: F811 (fixtures imported from outcome_people are a test's arguments)

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from core.exceptions import Refused, ValidationError
from linkworkers import services
from linkworkers.models import Answer, OutcomeMeasure
from referrals.models import ReferralEvent
from tests.factories import InstrumentFactory, ItemFactory, OutcomeMeasureFactory, SchemeFactory
from tests.linkworkers.outcome_people import (  # noqa: F401
    answers_by_order,
    carys,
    case,
    dafydd,
    fast_password_hashing,
    gwen,
    in_english,
    instruments,
    llinos,
    olwen,
    osian,
    people,
    prys,
    scheme,
)

pytestmark = pytest.mark.django_db


def record_url(case, code="ons4", timepoint="baseline"):
    return reverse("linkworkers:outcome_record", args=[case.uuid, code, timepoint])


def form_data(instrument, *values, answered_on=None):
    data = {"answered_on": (answered_on or timezone.localdate()).isoformat()}
    items = list(instrument.items.order_by("order"))
    data.update({f"item_{item.pk}": value for item, value in zip(items, values, strict=False)})
    return data


def counts():
    return (OutcomeMeasure.objects.count(), Answer.objects.count(), ReferralEvent.objects.count())


def test_the_form_asks_each_item_with_its_answers(client, llinos, case, instruments):
    client.force_login(llinos)
    page = client.get(record_url(case)).content.decode()
    assert "Overall, how satisfied are you with your life nowadays?" in page
    assert "Not at all" in page and "Completely" in page
    assert "Glenys Pritchard" in page and case.reference in page


def test_llinos_records_a_baseline(client, llinos, case, instruments):
    client.force_login(llinos)
    response = client.post(record_url(case), form_data(instruments["ons4"], 4, 6, 5, 8))
    assert response.status_code == 302
    assert response.url == reverse("linkworkers:outcomes", args=[case.uuid])
    measure = OutcomeMeasure.objects.get()
    assert (measure.referral, measure.timepoint, measure.recorded_by) == (case, "baseline", llinos)
    assert [a.value for a in measure.answers.order_by("item__order")] == [4, 6, 5, 8]


def test_recording_writes_a_timeline_event_and_an_audit_row(client, llinos, case, instruments):
    client.force_login(llinos)
    client.post(record_url(case), form_data(instruments["ons4"], 4, 6, 5, 8))
    event = ReferralEvent.objects.get(referral=case)
    assert (event.kind, event.actor, event.visible_to_referrer) == ("note", llinos, False)
    assert event.note == "Outcome measure recorded: ONS4 personal wellbeing (baseline)."
    measure = OutcomeMeasure.objects.get()
    audit = AuditEvent.objects.get(action="create")
    assert (audit.actor, audit.object_type, audit.object_id) == (
        llinos, "linkworkers.outcomemeasure", str(measure.uuid),
    )  # fmt: skip
    assert audit.detail == f"referral {case.reference} ons4 baseline"


def test_carys_the_coordinator_may_record_too(client, carys, case, instruments):
    client.force_login(carys)
    response = client.post(record_url(case, "ucla3"), form_data(instruments["ucla3"], 2, 3, 2))
    assert response.status_code == 302
    assert OutcomeMeasure.objects.get().raw_score == 7


def test_the_score_is_stored(client, llinos, case, instruments):
    client.force_login(llinos)
    client.post(record_url(case, "ucla3"), form_data(instruments["ucla3"], 3, 3, 3))
    measure = OutcomeMeasure.objects.get()
    assert (measure.raw_score, measure.converted_score) == (9, None)


def test_it_rejects_other_methods(client, llinos, case, instruments):
    client.force_login(llinos)
    assert client.put(record_url(case)).status_code == 405
    assert client.post(reverse("linkworkers:outcomes", args=[case.uuid])).status_code == 405


@pytest.mark.parametrize("who", ["dafydd", "gwen", "prys", "osian", "olwen"])
def test_others_get_404_and_change_nothing(client, people, case, instruments, who):
    client.force_login(people[who])
    assert client.get(reverse("linkworkers:outcomes", args=[case.uuid])).status_code == 404
    assert client.get(record_url(case)).status_code == 404
    response = client.post(record_url(case), form_data(instruments["ons4"], 4, 6, 5, 8))
    assert response.status_code == 404
    assert counts() == (0, 0, 0)


def test_dafydd_sees_it_once_allocated_to_him(client, dafydd, case, instruments):
    case.link_worker = dafydd
    case.save()
    client.force_login(dafydd)
    assert client.get(record_url(case)).status_code == 200


def test_an_anonymous_visitor_is_sent_to_sign_in(client, case, instruments):
    response = client.get(record_url(case))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_an_out_of_range_answer_is_refused_naming_the_item(client, llinos, case, instruments):
    client.force_login(llinos)
    response = client.post(record_url(case), form_data(instruments["ons4"], 4, 6, 5, 11))
    assert response.status_code == 200
    assert "“Anxiety” must be from 0 to 10; 11 is out of range." in response.content.decode()
    assert counts() == (0, 0, 0)


def test_a_missing_answer_is_refused_naming_the_item(client, llinos, case, instruments):
    client.force_login(llinos)
    data = form_data(instruments["ons4"], 4, 6, 5, 8)
    del data[f"item_{instruments['ons4'].items.get(order=2).pk}"]
    response = client.post(record_url(case), data)
    assert response.status_code == 200
    assert "Answer “Worthwhile” (from 0 to 10)." in response.content.decode()
    assert counts() == (0, 0, 0)


def test_an_answer_that_is_not_a_number_is_refused(client, llinos, case, instruments):
    client.force_login(llinos)
    response = client.post(record_url(case, "ucla3"), form_data(instruments["ucla3"], 1, "x", 2))
    assert "“Left out” needs a whole number from 1 to 3." in response.content.decode()
    assert counts() == (0, 0, 0)


def test_a_second_baseline_is_refused(client, llinos, case, instruments):
    client.force_login(llinos)
    client.post(record_url(case), form_data(instruments["ons4"], 4, 6, 5, 8))
    response = client.post(record_url(case), form_data(instruments["ons4"], 5, 6, 5, 8))
    assert (
        "A baseline ONS4 personal wellbeing was already recorded for this case."
        in response.content.decode()
    )
    assert OutcomeMeasure.objects.count() == 1


def test_reviews_may_be_repeated(client, llinos, case, instruments):
    client.force_login(llinos)
    for answers in [(5, 6, 5, 7), (6, 6, 6, 5)]:
        response = client.post(
            record_url(case, "ons4", "review"), form_data(instruments["ons4"], *answers)
        )
        assert response.status_code == 302
    assert OutcomeMeasure.objects.filter(timepoint="review").count() == 2


def test_a_date_in_the_future_is_refused(client, llinos, case, instruments):
    client.force_login(llinos)
    tomorrow = timezone.localdate() + timedelta(days=1)
    data = form_data(instruments["ons4"], 4, 6, 5, 8, answered_on=tomorrow)
    response = client.post(record_url(case), data)
    assert "not in the future, nor before the referral" in response.content.decode()
    assert counts() == (0, 0, 0)


def test_the_closure_measure_waits_for_first_contact(client, llinos, case, instruments):
    case.status = "allocated"
    case.save()
    client.force_login(llinos)
    response = client.post(
        record_url(case, "ons4", "closure"), form_data(instruments["ons4"], 4, 6, 5, 8)
    )
    assert "The closure measure is taken when the case is being closed" in response.content.decode()
    assert counts() == (0, 0, 0)


def test_a_closed_case_takes_its_closure_measure(client, llinos, case, instruments):
    case.status, case.closed_at = "closed", timezone.now()
    case.save()
    client.force_login(llinos)
    response = client.post(
        record_url(case, "ons4", "closure"), form_data(instruments["ons4"], 7, 7, 7, 2)
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("code", "timepoint"), [("ons4", "midway"), ("no-such-instrument", "baseline")]
)
def test_an_unknown_instrument_or_timepoint_is_404(
    client, llinos, case, instruments, code, timepoint
):
    client.force_login(llinos)
    assert client.get(record_url(case, code, timepoint)).status_code == 404


def test_another_schemes_instrument_and_an_inactive_one_are_404(client, llinos, case, instruments):
    theirs = ItemFactory(instrument__scheme=SchemeFactory()).instrument
    retired = ItemFactory(instrument__active=False).instrument
    client.force_login(llinos)
    assert client.get(record_url(case, theirs.code)).status_code == 404
    assert client.get(record_url(case, retired.code)).status_code == 404


def test_the_schemes_own_instrument_may_be_recorded(client, llinos, case, scheme):
    ours = InstrumentFactory(scheme=scheme)
    ItemFactory(instrument=ours), ItemFactory(instrument=ours)
    client.force_login(llinos)
    assert client.post(record_url(case, ours.code), form_data(ours, 2, 5)).status_code == 302
    assert OutcomeMeasure.objects.get().raw_score == 7


def test_the_service_refuses_someone_not_on_the_case(dafydd, case, instruments):
    ons4 = instruments["ons4"]
    # Dafydd cannot see Llinos's case: refused as if it were not there (404).
    with pytest.raises(Refused, match="not one you can record outcomes for"):
        services.outcome_record(
            referral=case, instrument=ons4, timepoint="baseline",
            answers=answers_by_order(ons4, 4, 6, 5, 8), actor=dafydd,
        )  # fmt: skip
    assert counts() == (0, 0, 0)


def test_the_service_refuses_answers_to_items_of_another_instrument(llinos, case, instruments):
    ons4, ucla = instruments["ons4"], instruments["ucla3"]
    answers = answers_by_order(ons4, 4, 6, 5, 8) | {ucla.items.first().pk: 2}
    with pytest.raises(ValidationError, match="Nothing was saved"):
        services.outcome_record(
            referral=case, instrument=ons4, timepoint="baseline", answers=answers, actor=llinos
        )
    assert counts() == (0, 0, 0)


def test_the_form_is_in_welsh_on_a_welsh_page(client, llinos, case, instruments):
    client.force_login(llinos)
    page = client.get("/cy" + record_url(case)).content.decode()
    assert "Yn gyffredinol, pa mor fodlon ydych chi â&#x27;ch bywyd y dyddiau hyn?" in page
    assert "Ddim o gwbl" in page


def test_viewing_the_form_is_audited(client, llinos, case, instruments):
    client.force_login(llinos)
    client.get(record_url(case))
    audit = AuditEvent.objects.get(action="view")
    assert (audit.actor, audit.object_id) == (llinos, str(case.person.uuid))
    assert audit.detail == f"outcomes of referral {case.reference}"


def test_the_database_holds_one_baseline_per_instrument_but_many_reviews(case):
    first = OutcomeMeasureFactory(referral=case, timepoint="review")
    OutcomeMeasureFactory(referral=case, instrument=first.instrument, timepoint="review")
    OutcomeMeasureFactory(referral=case, instrument=first.instrument, timepoint="baseline")
    with pytest.raises(IntegrityError), transaction.atomic():
        OutcomeMeasureFactory(referral=case, instrument=first.instrument, timepoint="baseline")
