import pytest
from django.conf import settings
from django.utils import translation

from tests.factories import OrganisationFactory, UserFactory


@pytest.fixture(autouse=True)
def english_after_each_test():
    """A request to a /cy/ page leaves Welsh active in this thread: give the next test English."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


PASSWORD = "correct horse battery staple"


@pytest.fixture
def practice(db):
    return OrganisationFactory(name="Afon Surgery", ods_code="W90001")


@pytest.fixture
def gp_receptionist(practice):
    """Rhian works on the front desk of a GP practice and makes referrals."""
    return UserFactory(username="rhian", role="referrer", organisation=practice)


def pytest_collection_modifyitems(items):
    """Transactional tests put back the data migrations wrote (bank holidays and the like).

    They empty every table when they end; with tests spread over processes
    (pytest-xdist) a later test in the same process would otherwise find none.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
            name in item.fixturenames for name in ("transactional_db", "live_server")
        )
        if transactional:
            item.fixturenames.append("django_db_serialized_rollback")
