"""Reads for accounts, shared by pages, API and reports."""

from datetime import date

from .models import Area, BankHoliday


def area_with_descendants_ids(area: Area) -> set[int]:
    """The ids of an area and every area beneath it (one query per level; the tree is shallow)."""
    ids = {area.pk}
    frontier = [area.pk]
    while frontier:
        frontier = list(Area.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids.update(frontier)
    return ids


def area_and_ancestors(area: Area | None) -> list[Area]:
    """The area, then the one it is part of, and so on up to the nation (nearest first)."""
    chain = []
    while area is not None:
        chain.append(area)
        area = area.parent
    return chain


def bank_holidays() -> frozenset[date]:
    """Every bank holiday on record (a few a year): one query."""
    return frozenset(BankHoliday.objects.values_list("date", flat=True))
