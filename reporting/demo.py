"""Demo figures: the rollup run once over the demo data, so the dashboards open with numbers.

The demo people's postcodes come from the ONS data the directory packages,
which does not say how deprived their areas are. So that the deprivation breakdown shows something,
each of those postcodes gets an invented decile (leaning towards the more
deprived, as in the valleys), on the postcode's row from the packaged data, so
that distance searches still use the real positions. A deployment loads the real deciles from
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
    """An invented decile for each demo postcode without one: on its row where the postcode
    is in the table (the packaged data, with its real position), else on a new row."""
    wanted = sorted(set(Person.objects.values_list("postcode", flat=True)))
    rng = random.Random(6)
    deciles = {postcode: rng.choice(DECILES) for postcode in wanted}
    rows = Postcode.objects.filter(postcode__in=wanted)
    known = set(rows.values_list("postcode", flat=True))
    without = list(rows.filter(imd_decile__isnull=True))
    for row in without:
        row.imd_decile = deciles[row.postcode]
    Postcode.objects.bulk_update(without, ["imd_decile"], batch_size=1000)
    missing = [postcode for postcode in wanted if postcode not in known]
    Postcode.objects.bulk_create(
        [Postcode(postcode=postcode, imd_decile=deciles[postcode]) for postcode in missing],
        ignore_conflicts=True,
    )
    return len(without) + len(missing)


def seed(stdout):
    if RollupRun.objects.filter(in_flight=True).exists():
        stdout.write("reporting: a rollup is already running")
        return
    invented = _invent_deprivation()
    if invented:
        stdout.write(f"reporting: invented deprivation deciles for {invented} demo postcodes")
    run = rollup_full()
    stdout.write(f"reporting: figures rolled up for {run.referrals} referrals")
