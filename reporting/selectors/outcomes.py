"""Wellbeing outcomes: change between baseline and follow-up per instrument."""

from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext as _

from accounts.models import localised
from linkworkers.models import Instrument, Item

from ..models import (
    OutcomeCube,
)
from ..tables import (
    Chart,
    Column,
    Table,
    Tally,
    enough_for_a_mean,
    leaders,
)
from .common import finish_table, in_period, published_rate, tallied, tally_of
from .scope import Filters, Scope

MEAN_PLACES = {False: Decimal("0.01"), True: Decimal("0.1")}  # by whether counts are protected


def outcome_table(scope: Scope, filters: Filters, suppress: bool) -> Table:
    measures = ("pairs", "improved", "worsened")
    sums: list[tuple[int, int | None, Tally, Tally, Tally, Decimal]] = [
        (
            row["instrument_id"],
            row["item_id"],
            *(tally_of(row, measure) for measure in measures),
            row["change"],
        )
        for row in in_period(OutcomeCube, scope, filters)
        .values("instrument_id", "item_id")
        .annotate(**tallied(*measures), change=Sum("change_sum"))
    ]
    instruments = Instrument.objects.in_bulk({row[0] for row in sums})
    items = Item.objects.in_bulk({row[1] for row in sums if row[1]})
    rows: list[list[Any]] = []
    for instrument_id, item_id, pairs, improved, worsened, change in sorted(
        sums,
        key=lambda row: (
            instruments[row[0]].display_name if row[0] in instruments else "",
            items[row[1]].order if row[1] in items else 0,
        ),
    ):
        instrument = instruments.get(instrument_id)
        name = instrument.display_name if instrument else "?"
        if item_id:
            item = items.get(item_id)
            name = f"{name}: {localised(item, 'label') if item else '?'}"
        # A mean beside its count gives away the exact count (the sum of whole-number
        # changes divided by it): over 10 or more people as published and to one place, a
        # mean fits every count the published one allows.
        mean = (
            (Decimal(change) / pairs).quantize(MEAN_PLACES[suppress])
            if enough_for_a_mean(pairs, suppress)
            else None
        )
        rows.append(
            [name, pairs, improved, published_rate(improved, pairs, suppress), worsened, mean]
        )
    table = Table(
        key="outcomes",
        title=_("Wellbeing outcomes"),
        sentence="",
        columns=[
            Column("measure", _("Measure"), "text"),
            Column("pairs", _("People with a baseline and a follow-up")),
            Column("improved", _("Improved")),
            Column("share_improved", _("Share improved (%)"), "rate"),
            Column("worsened", _("Worse")),
            Column("mean_change", _("Mean change"), "number"),
        ],
        rows=rows,
        chart=Chart(type="bar", series=["share_improved"], horizontal=True),
        notes=[
            _(
                "Baseline against the closure measure, or the latest review where there is no "
                "closure one, for referrals received in the period. Improved means a change "
                "in the better direction of that measure (for anxiety and loneliness, lower is "
                "better); the mean change keeps its sign."
            )
        ],
    )

    def sentence(table: Table) -> str:
        if not table.rows:
            return _("No one has a baseline and a follow-up measure yet for this period.")
        # The measure with the most people as shown; a tie goes to the first in the table's
        # order (by name), never to the larger exact count.
        most = leaders(table.rows, 1)
        best = next((row for row in table.rows if most and str(row[0]) == most[0]), None)
        if best is None or best[3] is None:
            return _("Too few people have a baseline and a follow-up to report outcomes.")
        return _("On %(measure)s, %(rate)s%% of %(pairs)s people improved.") % {
            "measure": best[0],
            "rate": best[3],
            "pairs": best[1],
        }

    return finish_table(table, suppress, sentence)
