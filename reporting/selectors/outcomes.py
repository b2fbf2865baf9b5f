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
    is_small,
)
from .common import finish_table, in_period, published_count, published_rate
from .scope import Filters, Scope


def outcome_table(scope: Scope, filters: Filters, suppress: bool) -> Table:
    sums = list(
        in_period(OutcomeCube, scope, filters)
        .values("instrument_id", "item_id")
        .annotate(
            pairs=Sum("pairs"),
            improved=Sum("improved"),
            worsened=Sum("worsened"),
            change=Sum("change_sum"),
        )
        .values_list("instrument_id", "item_id", "pairs", "improved", "worsened", "change")
    )
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
        hidden = suppress and is_small(pairs)
        mean = None if hidden or not pairs else (Decimal(change) / pairs).quantize(Decimal("0.01"))
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
        if not rows:
            return _("No one has a baseline and a follow-up measure yet for this period.")
        best = max(rows, key=lambda row: row[1])
        rate = published_rate(best[2], best[1], suppress)
        if rate is None:
            return _("Too few people have a baseline and a follow-up to report outcomes.")
        return _("On %(measure)s, %(rate)s%% of %(pairs)s people improved.") % {
            "measure": best[0],
            "rate": rate,
            "pairs": published_count(best[1], suppress),
        }

    return finish_table(table, suppress, sentence)
