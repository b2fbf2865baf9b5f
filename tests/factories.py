import factory
from django.utils import timezone

from accounts.models import Area, Organisation, Role, User


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
    ods_code = factory.Sequence(lambda n: f"W9{n:04d}")
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
