"""Demo figures: the rollup run once over the demo data, so the dashboards open with numbers.

The demo people's postcodes come from the ONS data the directory packages,
which does not say how deprived their areas are. So that the deprivation breakdown shows something,
each of those postcodes gets an invented decile (leaning towards the more
deprived, as in the valleys), with no coordinates, so that distance searches
still use the real postcode data. A deployment loads the real deciles from
the ONS Postcode Directory (`import_onspd`).
"""

import random

from directory.models import Postcode
from referrals.models import Person

from .models import RollupRun
from .services import rollup_full

# Deciles to draw from: 1 is the most deprived tenth of areas.
DECILES = [1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 5, 5, 6, 7, 8, 9, 10]


def _invent_deprivation() -> int:
    known = set(Postcode.objects.values_list("postcode", flat=True))
    wanted = sorted(set(Person.objects.values_list("postcode", flat=True)) - known)
    rng = random.Random(6)
    Postcode.objects.bulk_create(
        [Postcode(postcode=postcode, imd_decile=rng.choice(DECILES)) for postcode in wanted],
        ignore_conflicts=True,
    )
    return len(wanted)


def seed(stdout):
    if RollupRun.objects.filter(in_flight=True).exists():
        stdout.write("reporting: a rollup is already running")
        return
    invented = _invent_deprivation()
    if invented:
        stdout.write(f"reporting: invented deprivation deciles for {invented} demo postcodes")
    run = rollup_full()
    stdout.write(f"reporting: figures rolled up for {run.referrals} referrals")
