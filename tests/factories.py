import factory

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
