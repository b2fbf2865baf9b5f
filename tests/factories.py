import factory
import nhs_number
from django.utils import timezone

from accounts.models import Area, Organisation, Role, User
from referrals.models import PersonAsReferred, Status, triage_rank_for


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area

    kind = Area.Kind.HEALTH_BOARD
    code = factory.Sequence(lambda n: f"A{n:05d}")
    name = factory.Sequence(lambda n: f"Area {n}")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = Organisation.Kind.GP_PRACTICE
    name = factory.Sequence(lambda n: f"Practice {n}")
    # Z: a letter no fixture uses for its own codes (W90001...), so the two never collide.
    ods_code = factory.Sequence(lambda n: f"Z9{n:04d}")
    area = factory.SubFactory(AreaFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    role = Role.REFERRER
    organisation = factory.SubFactory(OrganisationFactory)
    password = factory.django.Password("correct horse battery staple")


class TaxonomyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "directory.Taxonomy"
        django_get_or_create = ["name"]

    name = "Social prescribing categories"


class TaxonomyTermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "directory.TaxonomyTerm"

    taxonomy = factory.SubFactory(TaxonomyFactory)
    code = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")
    name_cy = factory.Sequence(lambda n: f"Categori {n}")


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "directory.Provider"

    name = factory.Sequence(lambda n: f"Community group {n}")
    description = "A community group."


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "directory.Location"

    provider = factory.SubFactory(ProviderFactory)
    name = factory.Sequence(lambda n: f"Hall {n}")
    address_1 = "1 High Street"
    city = "Cardiff"
    postcode = "CF10 1EP"
    easting = 318200
    northing = 175860
    latitude = "51.475000"
    longitude = "-3.179000"


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "directory.Service"

    provider = factory.SubFactory(ProviderFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    description = "A weekly group."
    last_reviewed_on = factory.LazyFunction(timezone.localdate)


class ServiceAtLocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "directory.ServiceAtLocation"

    service = factory.SubFactory(ServiceFactory)
    location = factory.SubFactory(LocationFactory)


class ScheduleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "directory.Schedule"

    service = factory.SubFactory(ServiceFactory)
    weekday = 2
    opens_at = "10:00"
    closes_at = "12:00"


class SchemeFactory(OrganisationFactory):
    kind = Organisation.Kind.SCHEME
    name = factory.Sequence(lambda n: f"Scheme {n}")
    ods_code = None


def _valid_test_nhs_number(n):
    """NHS numbers from the 999 test range, never issued to anyone, with a valid check digit."""
    # Each n owns eleven stems, so skipping a stem whose check digit would be 10 never collides.
    for stem in (f"999{n * 11 + k:06d}" for k in range(11)):
        check = nhs_number.calculate_checksum(stem)
        if check < 10:
            return f"{stem}{check}"
    raise ValueError(n)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "referrals.Person"

    given_name = factory.Faker("first_name", locale="en_GB")
    family_name = factory.Faker("last_name", locale="en_GB")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=18, maximum_age=90)
    nhs_number = factory.Sequence(_valid_test_nhs_number)
    postcode = "CF10 1AA"
    phone = "07700 900123"
    consent_to_share = True


class ReferralFactory(factory.django.DjangoModelFactory):
    """A received referral from a GP practice; pass status/link_worker for later stages."""

    class Meta:
        model = "referrals.Referral"

    reference = factory.Sequence(lambda n: f"SP-T{n:06d}")
    person = factory.SubFactory(PersonFactory)
    # What the referrer supplied: the person as they were when referred.
    person_details_as_referred = factory.LazyAttribute(
        lambda referral: PersonAsReferred.snapshot_of(referral.person)
    )
    source_kind = "gp"
    referring_organisation = factory.SubFactory(OrganisationFactory)
    referring_user = factory.SubFactory(
        UserFactory, organisation=factory.SelfAttribute("..referring_organisation")
    )
    scheme = factory.SubFactory(SchemeFactory)
    reasons = factory.LazyFunction(lambda: ["loneliness"])
    what_matters = "Would like to meet people nearby."
    consent_to_referral = True
    consent_to_share = True
    received_at = factory.LazyFunction(timezone.now)
    # As the services keep it: its place in the triage queue follows status and urgency.
    triage_rank = factory.LazyAttribute(
        lambda referral: triage_rank_for(
            getattr(referral, "status", Status.RECEIVED), getattr(referral, "urgency", "routine")
        )
    )


class LinkWorkerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "linkworkers.LinkWorker"

    user = factory.SubFactory(UserFactory, role=Role.LINK_WORKER)
    scheme = factory.SelfAttribute("user.organisation")
    capacity = 25
    languages = factory.LazyFunction(lambda: ["en"])


# Link workers' cases: contacts, what matters, goals ---------------------------


class ContactFactory(factory.django.DjangoModelFactory):
    """A phone call that reached the person; pass outcome/happened_at for the rest."""

    class Meta:
        model = "linkworkers.Contact"

    referral = factory.SubFactory(ReferralFactory)
    happened_at = factory.LazyFunction(timezone.now)
    mode = "phone"
    outcome = "reached"
    minutes = 20
    recorded_by = factory.SelfAttribute("referral.link_worker")
    created_at = factory.LazyFunction(timezone.now)


class WhatMattersFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "linkworkers.WhatMatters"

    referral = factory.SubFactory(ReferralFactory)
    what_matters = "Getting out of the house and meeting people."
    strengths = "Loves gardening; good with her hands."
    want_to_change = "Feel less lonely in the evenings."
    updated_by = factory.SelfAttribute("referral.link_worker")
    updated_at = factory.LazyFunction(timezone.now)


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "linkworkers.Goal"

    referral = factory.SubFactory(ReferralFactory)
    description = factory.Sequence(lambda n: f"Goal {n}")
    created_by = factory.SelfAttribute("referral.link_worker")
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyFunction(timezone.now)


# Outcome measures (linkworkers) -------------------------------------------


class InstrumentFactory(factory.django.DjangoModelFactory):
    """A scheme's own instrument: two items answered 1 to 5, totalled."""

    class Meta:
        model = "linkworkers.Instrument"

    code = factory.Sequence(lambda n: f"instrument-{n}")
    name = factory.Sequence(lambda n: f"Instrument {n}")
    name_cy = factory.Sequence(lambda n: f"Offeryn {n}")
    scoring = "sum"


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "linkworkers.Item"

    instrument = factory.SubFactory(InstrumentFactory)
    order = factory.Sequence(lambda n: n + 1)
    label = factory.Sequence(lambda n: f"Item {n}")
    text = factory.Sequence(lambda n: f"Question {n}?")
    min_value = 1
    max_value = 5


class OutcomeMeasureFactory(factory.django.DjangoModelFactory):
    """A measure with no answers; pass raw_score, or create Answers, as the test needs."""

    class Meta:
        model = "linkworkers.OutcomeMeasure"

    referral = factory.SubFactory(ReferralFactory)
    instrument = factory.SubFactory(InstrumentFactory)
    timepoint = "baseline"
    answered_on = factory.LazyFunction(timezone.localdate)
    recorded_by = factory.SubFactory(UserFactory, role=Role.LINK_WORKER)
    created_at = factory.LazyFunction(timezone.now)


# Connections to community services ---------------------------------------------


class ConnectionFactory(factory.django.DjangoModelFactory):
    """A proposed connection; pass status and its timestamps for later stages."""

    class Meta:
        model = "linkworkers.Connection"

    referral = factory.SubFactory(ReferralFactory)
    service = factory.SubFactory(ServiceFactory)
    proposed_at = factory.LazyFunction(timezone.now)
    created_by = factory.SelfAttribute("referral.link_worker")


class UnmetNeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "linkworkers.UnmetNeed"

    referral = factory.SubFactory(ReferralFactory)
    category = factory.SubFactory(TaxonomyTermFactory)
    recorded_by = factory.SelfAttribute("referral.link_worker")
    recorded_at = factory.LazyFunction(timezone.now)
