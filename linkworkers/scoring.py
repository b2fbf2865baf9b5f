"""The one scoring engine: every instrument is scored here from its data.

An instrument names one of a few methods (ScoringMethod); nothing here knows
ONS4 from UCLA. Answers are checked before they reach `score`
(services.outcome_record), so the engine only adds up.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext as _

from core.exceptions import ValidationError

from .models import Instrument, Item, ScoringMethod

TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Score:
    """raw: the total (None for per-item instruments); converted: the mean or the table's
    score (None when the method has none); per_item: item id -> answer as given."""

    raw: int | None
    converted: Decimal | None
    per_item: dict[int, int] = field(default_factory=dict)

    @property
    def value(self) -> int | Decimal | None:
        """The headline score: the converted one where there is one, else the raw total."""
        return self.converted if self.converted is not None else self.raw


def _counted(item: Item, value: int) -> int:
    # Reverse-scored items count backwards in a total (5 on a 1-5 item counts as 1).
    return item.min_value + item.max_value - value if item.reverse_scored else value


def score(instrument: Instrument, answers: dict[int, int]) -> Score:
    """Score a complete set of answers (item id -> value) by the instrument's method."""
    items = list(instrument.items.all())
    per_item = {item.pk: answers[item.pk] for item in items}
    if instrument.scoring == ScoringMethod.PER_ITEM:
        return Score(raw=None, converted=None, per_item=per_item)
    total = sum(_counted(item, answers[item.pk]) for item in items)
    if instrument.scoring == ScoringMethod.SUM:
        return Score(raw=total, converted=None, per_item=per_item)
    if instrument.scoring == ScoringMethod.MEAN:
        mean = (Decimal(total) / len(items)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
        return Score(raw=total, converted=mean, per_item=per_item)
    converted = (instrument.conversion_table or {}).get(str(total))
    if converted is None:
        raise ValidationError(
            _(
                "The conversion table of %(instrument)s has no score for a total of %(total)s: "
                "ask an administrator to complete it. Nothing was saved."
            )
            % {"instrument": instrument.display_name, "total": total}
        )
    return Score(
        raw=total,
        converted=Decimal(str(converted)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP),
        per_item=per_item,
    )


def total_range(items: Sequence[Item]) -> tuple[int, int]:
    """The lowest and highest possible totals (reverse scoring keeps each item's range)."""
    return sum(i.min_value for i in items), sum(i.max_value for i in items)


def instrument_problems(
    *, scoring: str, conversion_table: dict[str, Any] | None, items: Sequence[Item]
) -> list[str]:
    """What would stop this instrument being answered and scored; empty when it is sound.

    Used when a scheme defines an instrument (command or service), so a bad
    definition is refused before anyone answers it.
    """
    problems: list[str] = []
    if scoring not in ScoringMethod.values:
        problems.append(_("Unknown scoring method: %(method)s.") % {"method": scoring})
    if not items:
        problems.append(_("An instrument needs at least one item."))
    for item in items:
        if item.min_value >= item.max_value:
            problems.append(
                _("Item %(order)s: the lowest answer must be below the highest.")
                % {"order": item.order}
            )
        for key in item.answer_labels or {}:
            if not str(key).lstrip("-").isdigit() or not (
                item.min_value <= int(key) <= item.max_value
            ):
                problems.append(
                    _("Item %(order)s: the answer label %(key)s is outside its range.")
                    % {"order": item.order, "key": key}
                )
    if scoring == ScoringMethod.SUM_WITH_TABLE and items and not problems:
        low, high = total_range(items)
        missing = [t for t in range(low, high + 1) if str(t) not in (conversion_table or {})]
        if missing:
            problems.append(
                _("The conversion table has no score for these totals: %(totals)s.")
                % {"totals": ", ".join(map(str, missing))}
            )
    return problems
