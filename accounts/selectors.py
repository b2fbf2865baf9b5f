"""Reads for accounts, shared by pages, API and reports."""

from .models import Area


def area_with_descendants_ids(area: Area) -> set[int]:
    """The ids of an area and every area beneath it (one query per level; the tree is shallow)."""
    ids = {area.pk}
    frontier = [area.pk]
    while frontier:
        frontier = list(Area.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids.update(frontier)
    return ids
