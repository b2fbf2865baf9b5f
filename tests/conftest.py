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
