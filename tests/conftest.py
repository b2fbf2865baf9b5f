import pytest

from tests.factories import OrganisationFactory, UserFactory

PASSWORD = "correct horse battery staple"


@pytest.fixture
def practice(db):
    return OrganisationFactory(name="Afon Surgery", ods_code="W90001")


@pytest.fixture
def gp_receptionist(practice):
    """Rhian works on the front desk of a GP practice and makes referrals."""
    return UserFactory(username="rhian", role="referrer", organisation=practice)
