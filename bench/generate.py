"""Make a large, realistic-looking directory quickly (bulk inserts) for the benchmarks."""

import random
from datetime import time, timedelta

from django.db import transaction
from django.utils import timezone

from directory import demo
from directory.models import Location, Provider, Schedule, Service, ServiceAtLocation
from directory.services import service_refresh_search

# Words for names and descriptions, by category code.
ACTIVITIES = {
    "arts-creativity": ["art class", "craft circle", "pottery group", "photography club"],
    "music-singing": ["community choir", "ukulele group", "singing for the brain"],
    "gardening-green-space": ["gardening club", "allotment group", "community garden"],
    "physical-activity": ["chair exercise", "walking football", "tai chi", "swim for health"],
    "walking": ["health walk", "nordic walking group", "heritage walk"],
    "befriending-social": ["lunch club", "friendship café", "telephone befriending"],
    "mens-groups": ["men's shed", "men's talking group", "men's breakfast club"],
    "money-debt": ["debt advice", "benefits check", "budgeting course"],
    "housing": ["tenancy support", "housing advice drop-in", "energy help"],
    "carers": ["carers' cuppa", "young carers group", "carers' support group"],
    "bereavement": ["bereavement support group", "bereavement café"],
    "learning-skills": ["creative writing circle", "Welsh for beginners", "book club"],
    "digital-skills": ["digital skills drop-in", "tablet tea party"],
    "volunteering": ["volunteering taster day", "conservation volunteers"],
    "mental-health": ["peer support café", "anxiety management course", "mindfulness group"],
    "food": ["community pantry", "cook and eat well", "community fridge"],
}
PLACES = [
    "Pontypridd", "Treorchy", "Aberdare", "Merthyr", "Caerphilly", "Barry", "Penarth",
    "Bridgend", "Porthcawl", "Neath", "Port Talbot", "Swansea", "Ebbw Vale", "Newport",
]  # fmt: skip
# The South Wales valleys and coast on the British National Grid.
EASTING = (260_000, 340_000)
NORTHING = (165_000, 215_000)


def generate(count: int, *, seed: int = 1, stdout=None) -> None:
    """Add `count` active services, each at its own location with sessions and categories."""
    rng = random.Random(seed)
    terms = demo.taxonomy()
    codes = list(ACTIVITIES)
    today = timezone.localdate()
    with transaction.atomic():
        providers = Provider.objects.bulk_create(
            Provider(name=f"{rng.choice(PLACES)} Community Trust {n}", description="Bench data.")
            for n in range(max(1, count // 20))
        )
        locations = Location.objects.bulk_create(
            (
                Location(
                    name=f"{rng.choice(PLACES)} Hall {n}",
                    postcode="CF37 1AB",
                    easting=rng.randint(*EASTING),
                    northing=rng.randint(*NORTHING),
                    step_free_access=rng.random() < 0.7,
                    hearing_loop=rng.random() < 0.3,
                    accessible_toilet=rng.random() < 0.6,
                )
                for n in range(count)
            ),
            batch_size=5000,
        )
        picked = [rng.sample(codes, rng.choice([1, 1, 2])) for _ in range(count)]
        services = Service.objects.bulk_create(
            (
                Service(
                    provider=rng.choice(providers),
                    name=f"{rng.choice(PLACES)} {rng.choice(ACTIVITIES[cats[0]])} {n}",
                    name_cy=f"Gwasanaeth {n}",
                    description=" ".join(
                        f"A friendly {rng.choice(ACTIVITIES[code])} for local people."
                        for code in cats
                    ),
                    is_free=rng.random() < 0.7,
                    welsh_offered=rng.random() < 0.3,
                    last_reviewed_on=today - timedelta(days=rng.randint(0, 500)),
                )
                for n, cats in enumerate(picked)
            ),
            batch_size=5000,
        )
        at_locations = ServiceAtLocation.objects.bulk_create(
            (
                ServiceAtLocation(service=s, location=loc)
                for s, loc in zip(services, locations, strict=True)
            ),
            batch_size=5000,
        )
        Schedule.objects.bulk_create(
            (
                Schedule(
                    service=at.service,
                    service_at_location=at,
                    weekday=weekday,
                    opens_at=time(10),
                    closes_at=time(12),
                )
                for at in at_locations
                for weekday in rng.sample(range(1, 8), rng.choice([1, 2]))
            ),
            batch_size=5000,
        )
        Through = Service.taxonomy_terms.through
        Through.objects.bulk_create(
            (
                Through(service_id=service.pk, taxonomyterm_id=terms[code].pk)
                for service, cats in zip(services, picked, strict=True)
                for code in cats
            ),
            batch_size=5000,
        )
        service_refresh_search()
    if stdout is not None:
        stdout.write(f"generated {count:,} services with locations, sessions and categories\n")
