"""Instruments are kept in the admin, items inline; measures there are read only."""
# ruff: noqa: F811 (fixtures imported from outcome_people are a test's arguments)

import pytest
from django.urls import reverse

from accounts.models import Role
from core.exceptions import ValidationError
from linkworkers.models import Answer, Instrument, OutcomeMeasure
from linkworkers.services import instrument_define
from tests.factories import OutcomeMeasureFactory, SchemeFactory, UserFactory
from tests.linkworkers.outcome_people import (  # noqa: F401
    fast_password_hashing,
    in_english,
    instruments,
    scheme,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(client):
    user = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_an_instrument_shows_its_items_inline(client, administrator, instruments):
    url = reverse("admin:linkworkers_instrument_change", args=[instruments["ons4"].pk])
    page = client.get(url).content.decode()
    assert "Overall, how anxious did you feel yesterday?" in page


def test_an_administrator_adds_an_instrument_with_its_items(client, administrator, scheme):
    data = {
        "code": "steps", "name": "Steps", "scoring": "sum", "higher_is_better": "on",
        "conversion_table": "{}", "scheme": scheme.pk, "active": "on",
        "items-TOTAL_FORMS": "1", "items-INITIAL_FORMS": "0",
        "items-0-order": "1", "items-0-label": "Walking", "items-0-text": "Days walked?",
        "items-0-min_value": "0", "items-0-max_value": "7", "items-0-answer_labels": "{}",
        "items-0-higher_is_better": "on",
    }  # fmt: skip
    response = client.post(reverse("admin:linkworkers_instrument_add"), data)
    assert response.status_code == 302
    steps = Instrument.objects.get(code="steps")
    assert (steps.scheme, steps.items.get().max_value) == (scheme, 7)


def test_a_measure_is_read_only(client, administrator):
    measure = OutcomeMeasureFactory(raw_score=7)
    url = reverse("admin:linkworkers_outcomemeasure_change", args=[measure.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"raw_score": 9})
    measure.refresh_from_db()
    assert measure.raw_score == 7
    assert client.post(reverse("admin:linkworkers_outcomemeasure_delete", args=[measure.pk]))
    assert OutcomeMeasure.objects.filter(pk=measure.pk).exists()


def test_a_code_belongs_to_one_scheme(scheme):
    item = {"label": "I", "text": "Q?", "min_value": 1, "max_value": 5}
    instrument_define(code="ours", name="Ours", scoring="sum", items=[item], scheme=scheme)
    with pytest.raises(ValidationError, match="already used by another scheme's instrument"):
        instrument_define(
            code="ours", name="Theirs", scoring="sum", items=[item], scheme=SchemeFactory()
        )
    assert Instrument.objects.get(code="ours").name == "Ours"


def _new_instrument(scheme, **changes):
    data = {
        "code": "steps", "name": "Steps", "scoring": "sum", "higher_is_better": "on",
        "conversion_table": "{}", "scheme": scheme.pk, "active": "on",
        "items-TOTAL_FORMS": "1", "items-INITIAL_FORMS": "0",
        "items-0-order": "1", "items-0-label": "Walking", "items-0-text": "Days walked?",
        "items-0-min_value": "0", "items-0-max_value": "7", "items-0-answer_labels": "{}",
        "items-0-higher_is_better": "on",
    }  # fmt: skip
    return data | changes


def test_the_admin_refuses_an_instrument_without_items(client, administrator, scheme):
    data = _new_instrument(scheme, **{"items-TOTAL_FORMS": "0"})
    response = client.post(reverse("admin:linkworkers_instrument_add"), data)
    assert response.status_code == 200
    assert "An instrument needs at least one item." in response.content.decode()
    assert not Instrument.objects.filter(code="steps").exists()


def test_the_admin_refuses_an_answer_label_outside_the_range(client, administrator, scheme):
    data = _new_instrument(scheme, **{"items-0-answer_labels": '{"9": "Every day"}'})
    response = client.post(reverse("admin:linkworkers_instrument_add"), data)
    assert response.status_code == 200
    assert "Item 1: the answer label 9 is outside its range." in response.content.decode()
    assert not Instrument.objects.filter(code="steps").exists()


def test_the_admin_refuses_a_conversion_table_with_gaps(client, administrator, scheme):
    data = _new_instrument(scheme, scoring="sum_with_table", conversion_table='{"0": 1}')
    response = client.post(reverse("admin:linkworkers_instrument_add"), data)
    assert response.status_code == 200
    assert "The conversion table has no score for these totals" in response.content.decode()
    assert not Instrument.objects.filter(code="steps").exists()


def test_the_admin_cannot_change_the_items_of_an_answered_instrument(
    client, administrator, instruments
):
    ons4 = instruments["ons4"]
    measure = OutcomeMeasureFactory(instrument=ons4)
    Answer.objects.create(measure=measure, item=ons4.items.order_by("order").first(), value=5)
    url = reverse("admin:linkworkers_instrument_change", args=[ons4.pk])
    form = client.get(url).context["adminform"].form
    inline = client.get(url).context["inline_admin_formsets"][0].formset
    data = {"name": form.initial["name"], "scoring": form.initial["scoring"]}
    data |= {"conversion_table": "{}", "higher_is_better": "on", "active": "on"}
    data |= {"items-TOTAL_FORMS": "1", "items-INITIAL_FORMS": str(inline.initial_form_count())}
    first = ons4.items.order_by("order").first()
    data |= {
        "items-0-id": first.pk, "items-0-instrument": ons4.pk, "items-0-order": "1",
        "items-0-label": first.label, "items-0-text": first.text,
        "items-0-min_value": first.min_value, "items-0-max_value": first.max_value,
        "items-0-answer_labels": "{}", "items-0-higher_is_better": "on",
    }  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Answers to this instrument exist" in response.content.decode()
    assert ons4.items.count() == 4
