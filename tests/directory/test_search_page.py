"""The public directory page: a newcomer, not signed in, looking for something near them."""

import re
from datetime import date

import pytest

from directory import postcodes
from directory.models import Postcode
from tests.directory.conftest import listed
from tests.factories import TaxonomyTermFactory

pytestmark = pytest.mark.django_db


def result_names(response):
    return [s.name for s in response.context["page"].object_list]


def test_a_newcomer_sees_the_search_page_without_signing_in(client):
    response = client.get("/directory/")
    assert response.status_code == 200
    assert "Find community services" in response.content.decode()


def test_it_is_linked_from_every_page_for_everyone(client):
    assert 'href="/directory/"' in client.get("/").content.decode()
    assert 'href="/cy/directory/"' in client.get("/cy/").content.decode()


def test_it_refuses_post(client):
    assert client.post("/directory/").status_code == 405


def test_the_keyword_comes_from_q(client):
    listed(name="Community growing group", description="Vegetables.")
    listed(name="Walking football", description="Football.")
    response = client.get("/directory/", {"q": "growing"})
    assert result_names(response) == ["Community growing group"]
    assert "1 service found" in response.content.decode()


def test_the_count_is_announced_to_screen_readers(client):
    listed(name="Choir")
    html = client.get("/directory/").content.decode()
    assert re.search(r'role="status"[^>]*>\s*1 service found', html)


def test_the_filters_come_from_the_address(client, gardening):
    listed(
        name="Free garden on Tuesday in Welsh",
        terms=[gardening],
        is_free=True,
        weekdays=[2],
        welsh_offered=True,
    )
    listed(name="Paid garden", terms=[gardening], is_free=False, weekdays=[2], welsh_offered=True)
    listed(name="Free choir", is_free=True, weekdays=[2], welsh_offered=True)
    response = client.get(
        "/directory/",
        {"category": str(gardening.uuid), "free": "on", "day": "2", "welsh": "on"},
    )
    assert result_names(response) == ["Free garden on Tuesday in Welsh"]


def test_the_accessibility_filters(client):
    from tests.factories import LocationFactory

    listed(name="Step-free", location=LocationFactory(step_free_access=True, hearing_loop=True))
    listed(name="Steps", location=LocationFactory(step_free_access=False, hearing_loop=True))
    response = client.get("/directory/", {"step_free": "on", "hearing_loop": "on"})
    assert result_names(response) == ["Step-free"]


def test_an_unknown_category_is_a_clear_error_not_a_crash(client, gardening):
    response = client.get("/directory/", {"category": "not-a-category"})
    assert response.status_code == 200
    assert response.context["form"].errors["category"]
    assert response.context["page"] is None


def test_categories_offered_are_those_of_the_directory_taxonomy_with_the_ones_below_indented(
    client, gardening
):
    TaxonomyTermFactory(taxonomy=gardening.taxonomy, parent=gardening, name="Allotments")
    choices = [label for _, label in response_choices(client, "/directory/")]
    assert choices == ["All categories", "Gardening and green space", "– Allotments"]


def response_choices(client, path):
    return client.get(path).context["form"].fields["category"].choices


def test_near_a_postcode_the_nearest_comes_first_with_the_distance_shown(client):
    listed(name="Barry group", easting=310833, northing=167497)
    listed(name="Pontypridd group", easting=307200 + 1200, northing=189800)
    response = client.get("/directory/", {"postcode": "cf37 1ab"})
    assert result_names(response) == ["Pontypridd group", "Barry group"]
    html = response.content.decode()
    assert "1.2 km (0.7 miles) away" in html
    assert "22.6 km (14.0 miles) away" in html
    assert "nearest to CF37 1AB first" in html


def test_short_distances_are_in_metres(client):
    listed(name="Round the corner", easting=307200 + 340, northing=189800)
    html = client.get("/directory/", {"postcode": "CF37 1AB"}).content.decode()
    assert "340 m (0.2 miles) away" in html


def test_without_a_postcode_no_distance_is_shown(client):
    listed(name="Choir")
    assert 'data-testid="distance"' not in client.get("/directory/").content.decode()


@pytest.mark.parametrize(
    ("postcode", "message"),
    [
        ("garbage", "“garbage” is not a UK postcode."),
        ("CF99 9ZZ", "We could not find the postcode CF99 9ZZ. Check it and try again."),
    ],
)
def test_a_bad_or_unknown_postcode_gets_a_clear_message_beside_the_field(client, postcode, message):
    listed(name="Choir")
    response = client.get("/directory/", {"postcode": postcode})
    assert response.status_code == 200
    assert response.context["form"].errors["postcode"] == [message]
    html = response.content.decode()
    assert 'id="id_postcode_error"' in html
    assert 'aria-invalid="true"' in html
    assert 'data-testid="error-summary"' in html


@pytest.mark.usefixtures("empty_postcode_table")
def test_a_terminated_postcode_gets_a_clear_message(client):
    Postcode.objects.create(
        postcode="CF37 9ZZ", easting=307000, northing=189000, terminated_on=date(2019, 6, 1)
    )
    response = client.get("/directory/", {"postcode": "CF379ZZ"})
    assert response.context["form"].errors["postcode"] == [
        "The postcode CF37 9ZZ is no longer in use (ended 06/2019)."
    ]


@pytest.mark.usefixtures("empty_postcode_table")
def test_a_postcode_from_the_imported_directory_wins_over_the_packaged_one(client):
    Postcode.objects.create(postcode="CF37 1AB", easting=300000, northing=189800)
    listed(name="Group", easting=301000, northing=189800)
    assert "1.0 km" in client.get("/directory/", {"postcode": "CF37 1AB"}).content.decode()


def make_services(count):
    for n in range(count):
        listed(name=f"Group {n:02d}")


def test_results_come_twenty_to_a_page(client):
    make_services(45)
    response = client.get("/directory/")
    assert len(result_names(response)) == 20
    assert response.context["page"].paginator.num_pages == 3
    assert "45 services found" in response.content.decode()


def test_the_last_page_has_the_rest(client):
    make_services(45)
    response = client.get("/directory/", {"page": "3"})
    assert result_names(response) == ["Group 40", "Group 41", "Group 42", "Group 43", "Group 44"]


@pytest.mark.parametrize(("asked", "shown"), [("0", 1), ("-4", 1), ("abc", 1), ("", 1), ("99", 3)])
def test_an_odd_page_number_shows_the_nearest_real_page(client, asked, shown):
    make_services(45)
    response = client.get("/directory/", {"page": asked})
    assert response.status_code == 200
    assert response.context["page"].number == shown


def test_page_links_keep_the_filters(client):
    make_services(25)
    html = client.get("/directory/", {"q": "group", "free": "on"}).content.decode()
    assert 'href="?q=group&amp;free=on&amp;page=2"' in html


def test_no_results_says_what_to_try(client):
    listed(name="Choir")
    html = client.get("/directory/", {"q": "zebra"}).content.decode()
    assert "0 services found" in html
    assert "Try fewer words or fewer filters." in html


def test_results_show_what_a_person_needs_to_choose(client, gardening):
    listed(
        name="Growing group",
        terms=[gardening],
        is_free=False,
        cost_description="£2 a session",
        weekdays=[4, 2],
        welsh_offered=True,
        capacity="waiting_list",
        waiting_band="1_to_3_months",
    )
    html = client.get("/directory/").content.decode()
    for text in [
        "Growing group",
        "£2 a session",
        "Tuesday, Thursday",
        "Offered in Welsh",
        "Waiting list: 1 to 3 months",
        "Gardening and green space",
    ]:
        assert text in html


def test_a_result_shows_what_a_provider_wrote_as_text_not_markup(client):
    listed(
        name="Tom & Jerry's <b>club</b>",
        description='Bring "wellies" & <script>gloves</script>.',
        is_free=False,
        cost_description="",
        capacity="full",
        welsh_offered=False,
    )
    html = client.get("/directory/").content.decode()
    for text in [
        "Tom &amp; Jerry&#x27;s &lt;b&gt;club&lt;/b&gt;",
        "Bring &quot;wellies&quot; &amp; &lt;script&gt;gloves&lt;/script&gt;.",
        "There is a cost",
        "Full",
        "Not offered in Welsh",
    ]:
        assert text in html
    assert "<b>club</b>" not in html


def test_the_welsh_page_labels_every_result_in_welsh(client, gardening):
    for n in range(2):
        listed(
            name=f"Growing group {n}",
            terms=[gardening],
            weekdays=[2],
            capacity="waiting_list",
            waiting_band="1_to_3_months",
        )
    html = client.get("/cy/directory/").content.decode()
    for text in ["Diwrnodau", "Lleoedd", "Categorïau", "Rhestr aros: 1 i 3 mis", ">Garddio</dd>"]:
        assert html.count(text) == 2, text


def test_the_welsh_page_shows_welsh_names_and_descriptions(client, gardening):
    listed(
        name="Community choir",
        name_cy="Côr cymunedol",
        description="Sing.",
        description_cy="Canu gyda'n gilydd.",
        terms=[gardening],
    )
    response = client.get("/cy/directory/")
    html = response.content.decode()
    assert '<html lang="cy">' in html
    assert "Côr cymunedol" in html
    assert "Canu gyda&#x27;n gilydd." in html
    assert "Garddio" in html


def test_the_welsh_page_falls_back_to_english_where_there_is_no_welsh(client):
    listed(name="Walking football", name_cy="")
    assert "Walking football" in client.get("/cy/directory/").content.decode()


def test_the_page_costs_the_same_number_of_queries_whatever_the_number_of_results(
    client, django_assert_max_num_queries, gardening
):
    def make(count):
        for n in range(count):
            listed(name=f"Group {n}", terms=[gardening], weekdays=[1, 2])

    make(2)
    # The district's packaged postcodes go into the table at its first lookup, once.
    postcodes.lookup("CF37 1AB")
    with django_assert_max_num_queries(12) as few:
        client.get("/directory/", {"postcode": "CF37 1AB", "category": str(gardening.uuid)})
    make(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/directory/", {"postcode": "CF37 1AB", "category": str(gardening.uuid)})


@pytest.mark.parametrize(
    "typed",
    [
        "garden:A & !c1 | 'x'",
        "'; DROP TABLE directory_service; --",
        "% _ \\ ( ) * <-> @@ ::tsquery",
        "ｇａｒｄｅｎ 🌱 сад",
        "gardening " * 19,
    ],
)
def test_hostile_searches_answer_a_page_and_the_api_answers_a_list(client, typed):
    listed(name="Community garden", description="Grow vegetables.")
    assert client.get("/directory/", {"q": typed}).status_code == 200
    assert client.get("/cy/directory/", {"q": typed, "postcode": "CF37 1AB"}).status_code == 200
    response = client.get("/api/oruk/services", {"search": typed})
    assert response.status_code == 200
    assert isinstance(response.json()["contents"], list)


def test_a_search_over_200_characters_is_refused_on_the_page_not_failed(client):
    response = client.get("/directory/", {"q": "garden " * 100})
    assert response.status_code == 200
    assert response.context["form"].errors["q"]


def test_the_page_says_how_it_read_the_words_and_why_a_result_matched(client, gardening):
    gardening.need_words = "allotment"
    gardening.save()
    listed(name="Plot buddies", description="Someone alongside you.", terms=[gardening])
    page = client.get("/directory/", {"q": "alotment"}).content.decode()
    assert "Spelling: “alotment” → “allotment”." in page
    assert "Matched the category “Gardening and green space”." in page


def test_a_broad_search_says_more_than_it_counts(client, monkeypatch):
    monkeypatch.setattr("directory.selectors.COUNT_LIMIT", 2)
    for n in range(4):
        listed(name=f"Garden {n}", description="Grow.")
    page = client.get("/directory/", {"q": "garden"}).content.decode()
    assert "More than 2 services found" in page
