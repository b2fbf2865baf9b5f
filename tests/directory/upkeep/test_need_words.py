"""Directory editors keep the need words that find each category: what people type."""

import pytest

from accounts.models import AuditEvent
from core.exceptions import Refused, ValidationError
from directory.exceptions import NothingChanged
from directory.selectors import services_search
from directory.services import taxonomy_term_need_words_update
from tests.directory.conftest import listed
from tests.factories import TaxonomyTermFactory

pytestmark = pytest.mark.django_db

LIST = "/directory/review/categories/"


@pytest.fixture
def befriending(db):
    return TaxonomyTermFactory(
        code="befriending",
        name="Befriending and social groups",
        name_cy="Cyfeillio a grwpiau cymdeithasol",
        need_words="lonely",
        need_words_cy="unig",
    )


def edit_url(term):
    return f"{LIST}{term.uuid}/"


def test_an_editor_sees_every_category_with_its_need_words(client, editor, befriending):
    client.force_login(editor)
    response = client.get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Befriending and social groups" in page
    assert "lonely" in page


def test_an_editor_changes_the_need_words_and_searches_use_them_at_once(
    client, editor, befriending
):
    listed(name="Lunch club", description="A hot meal.", terms=[befriending])
    client.force_login(editor)
    response = client.post(
        edit_url(befriending),
        {"need_words": "lonely\n  housebound \n\nlonely", "need_words_cy": "unig\ncaeth i'r tŷ"},
    )
    assert response.status_code == 302
    befriending.refresh_from_db()
    assert befriending.need_words == "lonely\nhousebound"
    assert befriending.need_words_cy == "unig\ncaeth i'r tŷ"
    assert [s.name for s in services_search(q="housebound")] == ["Lunch club"]
    event = AuditEvent.objects.get(object_type="directory.taxonomyterm")
    assert (event.actor, event.action) == (editor, AuditEvent.Action.CHANGE)
    assert event.object_id == str(befriending.uuid)


def test_the_form_shows_the_need_words_as_they_are(client, editor, befriending):
    client.force_login(editor)
    response = client.get(edit_url(befriending))
    assert response.status_code == 200
    assert response.context["form"].initial == {"need_words": "lonely", "need_words_cy": "unig"}


def test_a_line_too_long_is_refused_naming_the_field_and_changes_nothing(
    client, editor, befriending
):
    client.force_login(editor)
    response = client.post(edit_url(befriending), {"need_words": "x" * 61, "need_words_cy": ""})
    assert response.status_code == 400
    assert "Keep each line to 60 characters or fewer" in str(response.context["form"].errors)
    befriending.refresh_from_db()
    assert befriending.need_words == "lonely"
    assert not AuditEvent.objects.filter(object_type="directory.taxonomyterm").exists()


def test_a_line_with_nothing_to_search_for_is_refused(editor, befriending):
    with pytest.raises(ValidationError) as error:
        taxonomy_term_need_words_update(
            term=befriending, actor=editor, need_words="lonely\n---", need_words_cy=""
        )
    assert list(error.value.field_errors) == ["need_words"]


def test_saving_the_same_words_changes_nothing(editor, befriending):
    with pytest.raises(NothingChanged):
        taxonomy_term_need_words_update(
            term=befriending, actor=editor, need_words="lonely", need_words_cy="unig"
        )


@pytest.mark.parametrize("who", ["provider", "link_worker", "commissioner"])
def test_anyone_but_an_editor_is_refused(request, client, who, befriending):
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(LIST).status_code == 403
    assert client.get(edit_url(befriending)).status_code == 404
    response = client.post(edit_url(befriending), {"need_words": "hacked", "need_words_cy": ""})
    assert response.status_code == 404
    with pytest.raises(Refused):
        taxonomy_term_need_words_update(
            term=befriending, actor=user, need_words="hacked", need_words_cy=""
        )
    befriending.refresh_from_db()
    assert befriending.need_words == "lonely"


def test_nobody_signed_in_is_sent_to_sign_in(client, befriending):
    assert client.get(LIST).status_code == 302
    assert client.post(edit_url(befriending), {"need_words": "x"}).status_code == 302


def test_an_unknown_category_is_not_found(client, editor):
    client.force_login(editor)
    assert client.get(f"{LIST}6f1c3e55-3a51-4f7e-9a38-2f4a0b7d9c10/").status_code == 404


def test_the_list_is_read_only(client, editor):
    client.force_login(editor)
    assert client.post(LIST).status_code == 405


def test_the_list_costs_the_same_number_of_queries_whatever_the_number_of_categories(
    client, editor, django_assert_max_num_queries
):
    client.force_login(editor)
    TaxonomyTermFactory.create_batch(2)
    with django_assert_max_num_queries(20) as few:
        client.get(LIST)
    TaxonomyTermFactory.create_batch(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(LIST)


def test_the_admin_shows_need_words_read_only(admin_client, befriending):
    response = admin_client.get(f"/admin/directory/taxonomyterm/{befriending.pk}/change/")
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "need_words" not in form.fields
    assert "lonely" in response.content.decode()
