"""A reader who asks every question the filters allow and solves for the counts they hide.

The attacker of README "Statistics" (the threat model): a commissioner who
knows how counts are protected (the perturbation table is public, the
secret is not), asks for every month window, source and area, writes down
every published cell, and works out what each hidden monthly count can be.

What they know of a cell's true count from its published value is an interval
(`Inverse`: every count that could have been published so, over every cell
key). Every published cell is the sum of some months, sources and areas, so
the unknowns are the monthly counts of each source and area, and the
published cells bound sums of them. `solve` narrows the bounds of every sum
until nothing changes:

- along the months of one series (one source or all, one area or all) the
  bounds on windows are difference constraints on running totals, which
  shortest paths solve exactly (Floyd-Warshall over the 13 month boundaries);
- across series, a total over sources or areas is the sum of its parts, in
  every window (the parts' bounds narrow the total's, and the other way).

Against rounding and "<5" alone this pins nearly every hidden count exactly
(the tests show it); the question is whether it still can with the noise.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from reporting.cellkey import KEY_RANGE, PTABLE
from reporting.tables import SUPPRESSED, Tally, publish_count

INF = 10**9
ALL = "all"


def one_key_for_each_perturbation(count: int) -> list[int]:
    """A cell key giving each perturbation the table has for `count` (the first of its run)."""
    row = PTABLE[min(count, max(PTABLE))]
    starts, key = [], 0
    for _change, keys in sorted(row.items()):
        starts.append(key)
        key += keys
    assert key == KEY_RANGE
    return starts


class Inverse:
    """Which true counts could have been published as a given value: the smallest and largest,
    over every cell key (the attacker knows the perturbation table, not the keys)."""

    def __init__(self, largest: int = 400) -> None:
        self.bounds: dict[Any, tuple[int, int]] = {}
        for count in range(largest + 1):
            for key in one_key_for_each_perturbation(count):
                shown = publish_count(Tally(count, key))
                shown = "<5" if shown is SUPPRESSED else int(shown)
                low, high = self.bounds.get(shown, (count, count))
                self.bounds[shown] = (min(low, count), max(high, count))

    def __call__(self, shown: Any) -> tuple[int, int]:
        return self.bounds["<5" if shown is SUPPRESSED else int(shown)]


@dataclass
class Knowledge:
    """The attacker's bounds on every window sum of every series.

    series: (source, area), each a name or ALL; windows: (first, last) month indexes.
    """

    months: int
    sources: list[str]
    areas: list[str]
    bounds: dict[tuple[str, str], dict[tuple[int, int], list[int]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for source in [*self.sources, ALL]:
            for area in [*self.areas, ALL]:
                self.bounds[source, area] = {
                    (i, j): [0, INF] for i in range(self.months) for j in range(i, self.months)
                }

    def learn(self, source: str, area: str, window: tuple[int, int], low: int, high: int) -> None:
        bound = self.bounds[source, area][window]
        bound[0], bound[1] = max(bound[0], low), min(bound[1], high)

    def month(self, source: str, area: str, month: int) -> tuple[int, int]:
        low, high = self.bounds[source, area][month, month]
        return low, high

    # Solving ---------------------------------------------------------------------

    def solve(self, rounds: int = 50) -> None:
        for _round in range(rounds):
            changed = False
            for series in self.bounds.values():
                changed |= self._along_the_months(series)
            for area in [*self.areas, ALL]:
                changed |= self._parts((ALL, area), [(source, area) for source in self.sources])
            for source in [*self.sources, ALL]:
                changed |= self._parts((source, ALL), [(source, area) for area in self.areas])
            if not changed:
                return

    def _along_the_months(self, series: dict[tuple[int, int], list[int]]) -> bool:
        # Running totals S_0..S_n: a window (i, j) bounds S_(j+1) - S_i.
        n = self.months + 1
        distance = [[0 if a == b else INF for b in range(n)] for a in range(n)]
        for (i, j), (low, high) in series.items():
            distance[i][j + 1] = min(distance[i][j + 1], high)
            distance[j + 1][i] = min(distance[j + 1][i], -low)
        for k in range(n):
            through = distance[k]
            for a in range(n):
                to_k = distance[a][k]
                if to_k >= INF:
                    continue
                row = distance[a]
                for b in range(n):
                    if to_k + through[b] < row[b]:
                        row[b] = to_k + through[b]
        changed = False
        for (i, j), bound in series.items():
            assert -distance[j + 1][i] <= distance[i][j + 1], "the published figures contradict"
            if distance[i][j + 1] < bound[1]:
                bound[1], changed = distance[i][j + 1], True
            if -distance[j + 1][i] > bound[0]:
                bound[0], changed = -distance[j + 1][i], True
        return changed

    def _parts(self, whole: tuple[str, str], parts: list[tuple[str, str]]) -> bool:
        changed = False
        for window, total in self.bounds[whole].items():
            bounds = [self.bounds[part][window] for part in parts]
            low, high = sum(b[0] for b in bounds), sum(min(b[1], INF) for b in bounds)
            if low > total[0]:
                total[0], changed = low, True
            if high < total[1]:
                total[1], changed = high, True
            for bound in bounds:
                others_low, others_high = low - bound[0], high - bound[1]
                if total[0] - others_high > bound[0]:
                    bound[0], changed = total[0] - others_high, True
                if total[1] - others_low < bound[1]:
                    bound[1], changed = total[1] - others_low, True
        return changed


def pinned(
    knowledge: Knowledge, true_count: Callable[[str, str, int], int]
) -> tuple[list[tuple[str, str, int, int]], int]:
    """(the hidden counts of 1 to 4 the attacker worked out exactly, how many there were), over
    every month of every series; checks that the truth is always within the bounds."""
    found, hidden = [], 0
    for source, area in knowledge.bounds:
        for month in range(knowledge.months):
            count = true_count(source, area, month)
            low, high = knowledge.month(source, area, month)
            assert low <= count <= high, (source, area, month, count, low, high)
            if 1 <= count <= 4:
                hidden += 1
                if low == high:
                    found.append((source, area, month, count))
    return found, hidden


def windows(months: int) -> Iterable[tuple[int, int]]:
    return ((i, j) for i in range(months) for j in range(i, months))
