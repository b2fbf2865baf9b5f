"""Finding a person from the header search (issue 16, point 3).

Glenys Pritchard was referred by Rhian (Afon Surgery) to Teg Valley. The search
at /search/?q= finds her by name, NHS number, date of birth or reference for
whoever may see her referral (DESIGN.md, "Who may see what") and for no one
else; a referrer finds her only by what their practice supplied.
"""

from datetime import date

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from referrals.models import PersonAsReferred, Status
from referrals.selectors import SearchQuery, parse_search
from tests.factories import PersonFactory, ReferralFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 4)
URL = "/search/"


# What the box means ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "9434765919",
        "943 476 5919",
        "943-476-5919",
        " 943  476 5919 ",
        "٩٤٣٤٧٦٥٩١٩",
        "９４３ ４７６ ５９１９",
    ],
)
def test_an_nhs_number_with_or_without_spaces_and_in_any_digits(text):
    assert parse_search(text, today=TODAY) == SearchQuery(nhs_number="9434765919")


@pytest.mark.parametrize(
    "text",
    ["02/03/1948", "2/3/1948", "02-03-1948", "02.03.1948", "1948-03-02", "2 March 1948",
     "2nd March 1948", "2 Mar 1948", "2 mar. 1948", "2 Mawrth 1948", "02031948", "02/03/48"],
)  # fmt: skip
def test_a_date_of_birth_in_the_usual_uk_ways(text):
    assert parse_search(text, today=TODAY) == SearchQuery(date_of_birth=date(1948, 3, 2))


def test_a_two_digit_year_is_in_the_past():
    assert parse_search("01/01/20", today=TODAY).date_of_birth == date(2020, 1, 1)
    assert parse_search("01/01/30", today=TODAY).date_of_birth == date(1930, 1, 1)


@pytest.mark.parametrize("text", ["sp-abc123", "SP-ABC123", "SPABC123", " sp-abc123 "])
def test_a_reference(text):
    assert parse_search(text, today=TODAY) == SearchQuery(reference="SP-ABC123")


def test_names_are_words_of_two_letters_or_more_and_at_most_four():
    assert parse_search("Glenys  Pritchard", today=TODAY).words == ("Glenys", "Pritchard")
    assert parse_search("a b c", today=TODAY) is None
    assert parse_search("o'brien, siân", today=TODAY).words == ("o'brien", "siân")
    assert len(parse_search("aa bb cc dd ee ff", today=TODAY).words) == 4


@pytest.mark.parametrize("text", ["31/02/1948", "01/01/2030", "", "   ", "- -"])
def test_nothing_to_look_for(text):
    assert parse_search(text, today=TODAY) is None


# Who finds whom -------------------------------------------------------------------


@pytest.fixture
def glenys(referral):
    person = referral.person
    person.nhs_number, person.date_of_birth = "9434765919", date(1948, 3, 2)
    person.save()
    referral.person_details_as_referred = PersonAsReferred.snapshot_of(person)
    referral.reference = "SP-GLEN01"
    referral.save()
    return referral


def found(client, user, q):
    client.force_login(user)
    response = client.get(URL, {"q": q})
    assert response.status_code == 200
    page = response.context["page"]
    return [r.reference for r in page.object_list] if page is not None else None


QUERIES = ["Glenys", "pritch", "glenys pritchard", "943 476 5919", "02/03/1948", "sp-glen01"]


@pytest.mark.parametrize("q", QUERIES)
@pytest.mark.parametrize("role", ["referrer", "coordinator", "link_worker"])
def test_those_who_may_see_her_find_her(client, people, glenys, role, q):
    # Llinos sees her while she waits in the scheme's queue.
    assert found(client, people[role], q) == ["SP-GLEN01"]


@pytest.mark.parametrize("q", QUERIES)
@pytest.mark.parametrize("role", ["outsider_referrer", "outsider_coordinator"])
def test_other_organisations_find_no_one(client, people, glenys, role, q):
    assert found(client, people[role], q) == []


@pytest.mark.parametrize("role", ["provider", "commissioner"])
def test_roles_that_see_no_record_have_no_search(client, people, glenys, role):
    client.force_login(people[role])
    assert client.get(URL, {"q": "Glenys"}).status_code == 403
    assert 'role="search"' not in client.get(reverse("home")).content.decode()


def test_anonymous_is_sent_to_sign_in(client, glenys):
    assert client.get(URL, {"q": "Glenys"}).status_code == 302


def test_a_link_worker_finds_her_own_case_but_not_a_colleagues(
    client, glenys, link_worker, other_link_worker
):
    glenys.status, glenys.link_worker = Status.ALLOCATED, other_link_worker
    glenys.save()
    assert found(client, link_worker, "Glenys") == []
    assert found(client, other_link_worker, "Glenys") == ["SP-GLEN01"]


def test_a_referrer_finds_only_by_what_her_practice_gave(client, glenys, gp_receptionist):
    # The scheme's record knows a date of birth and NHS number Rhian never gave.
    glenys.person_details_as_referred = {
        **glenys.person_details_as_referred, "nhs_number": None, "date_of_birth": "1948-03-03",
    }  # fmt: skip
    glenys.save()
    assert found(client, gp_receptionist, "943 476 5919") == []
    assert found(client, gp_receptionist, "02/03/1948") == []
    assert found(client, gp_receptionist, "03/03/1948") == ["SP-GLEN01"]
    html = client.get(URL, {"q": "Glenys"}).content.decode()
    assert "943 476 5919" not in html and "3 Mar 1948" in html


def test_the_scheme_sees_the_nhs_number_as_3_3_4(client, glenys, coordinator):
    client.force_login(coordinator)
    assert "943 476 5919" in client.get(URL, {"q": "Glenys"}).content.decode()


# Audit, bad input, queries ------------------------------------------------------


def test_one_audit_row_names_the_people_shown(client, glenys, coordinator):
    client.force_login(coordinator)
    before = AuditEvent.objects.count()
    client.get(URL, {"q": "Glenys"})
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("pk")
    assert (event.actor, event.action, event.detail) == (coordinator, "view", "search")
    assert event.records == ["SP-GLEN01"]
    assert list(event.subjects.values_list("person_uuid", flat=True)) == [glenys.person.uuid]


def test_a_search_finding_no_one_is_still_audited_and_an_empty_box_is_not(client, coordinator):
    client.force_login(coordinator)
    client.get(URL)
    client.get(URL, {"q": ""})
    assert not AuditEvent.objects.filter(detail="search").exists()
    client.get(URL, {"q": "Nobody"})
    assert AuditEvent.objects.filter(detail="search").count() == 1


@pytest.mark.parametrize(
    "q",
    [
        "x" * 101,
        "a" * 5000,
        "'; DROP TABLE referrals_referral; --",
        "Glenys' OR '1'='1",
        "%",
        "_ _",
        "%%glen%%",
        "\x00Glenys",
        "Gle\x00nys",
        "١٢/٠٣/١٩٤٨",
        "𝟗𝟒𝟑𝟒𝟕𝟔𝟓𝟗𝟏𝟗",
        "①②③",
        "99/99/9999",
        "0/0/0",
        "31 Smarch 1948",
        "sp-" + "Z" * 200,
        "<script>alert(1)</script>",
        "\u202eGlenys",
        "🙂🙂",
    ],
)
def test_hostile_input_is_never_an_error_and_finds_no_one_unexpected(
    client, glenys, coordinator, q
):
    client.force_login(coordinator)
    response = client.get(URL, {"q": q})
    assert response.status_code == 200
    page = response.context["page"]
    assert page is None or [r.reference for r in page.object_list] in ([], ["SP-GLEN01"])
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_too_long_a_search_says_so_naming_the_box(client, coordinator):
    client.force_login(coordinator)
    response = client.get(URL, {"q": "x" * 101})
    assert response.context["form"].errors["q"] == ["Search for at most 100 characters."]


def test_wildcards_are_letters_not_patterns(client, glenys, coordinator):
    assert found(client, coordinator, "%%") == []
    assert found(client, coordinator, "G_enys") == []


def test_queries_do_not_grow_with_the_rows_found(
    client, glenys, coordinator, scheme, django_assert_max_num_queries
):
    client.force_login(coordinator)
    client.get(URL, {"q": "Pritchard"})
    with django_assert_max_num_queries(14) as few:
        client.get(URL, {"q": "Pritchard"})
    for _ in range(30):
        ReferralFactory(scheme=scheme, person=PersonFactory(family_name="Pritchard"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL, {"q": "Pritchard"})
    assert response.context["page"].paginator.count == 31
    assert found(client, coordinator, "Pritchard") and "page=2" in response.content.decode()
