"""FHIR search parameters and searchset Bundles.

Strict: a parameter a search does not know answers 400 naming it (a client
that believed it had filtered must not be handed everything). `_lastUpdated`
takes the R4 prefixes eq, gt, ge, lt, le (ne, sa, eb and ap are refused) on a date or date-time
of any precision, and may be given more than once (all must hold).
"""

import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.problems import InvalidParameter

DEFAULT_COUNT = 50
MAX_COUNT = 200
# Always allowed: paging and the format the answer is already in.
COMMON = {"_count", "_page", "_format"}

DATE_SHAPE = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)
PREFIXES = ("eq", "gt", "ge", "lt", "le")
# R4 prefixes this server does not take: named as such rather than read as a bad date.
OTHER_PREFIXES = ("ne", "sa", "eb", "ap")


def check_known(params, known: set[str]) -> None:
    for name in params:
        if name not in known | COMMON:
            raise InvalidParameter(
                name,
                _("This search does not support the parameter. Supported: %(names)s.")
                % {"names": ", ".join(sorted(known | COMMON))},
            )


def values(params, name: str) -> list[str]:
    """Each non-empty value given for `name` (a repeated parameter gives several)."""
    return [value for value in params.getlist(name) if value.strip()]


def one(params, name: str) -> str | None:
    found = values(params, name)
    if len(found) > 1:
        raise InvalidParameter(name, _("Give this parameter once."))
    return found[0].strip() if found else None


def _span(name: str, text: str) -> tuple[datetime, datetime]:
    """The instants [start, end) a date or date-time of its precision covers."""
    match = DATE_SHAPE.match(text)
    if not match:
        raise InvalidParameter(
            name, _("Give a date or date-time such as 2026-05-01 or 2026-05-01T09:00:00Z.")
        )
    parts = match.groupdict()
    tz = timezone.get_current_timezone()
    try:
        if parts["time"]:
            if not parts["tz"]:
                raise InvalidParameter(name, _("Give the time zone of a time (Z or +01:00)."))
            when = datetime.fromisoformat(
                f"{parts['year']}-{parts['month']}-{parts['day']}T{parts['time']}"
                + parts["tz"].replace("Z", "+00:00")
            )
            step = timedelta(seconds=1) if parts["time"].count(":") == 2 else timedelta(minutes=1)
            if "." in parts["time"]:
                step = timedelta(microseconds=1)
            return when, when + step
        year, month, day = int(parts["year"]), int(parts["month"] or 1), int(parts["day"] or 1)
        start = datetime(year, month, day, tzinfo=tz)
        if parts["day"]:
            end = start + timedelta(days=1)
        elif parts["month"]:
            end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
        else:
            end = datetime(year + 1, 1, 1, tzinfo=tz)
        return start, end
    except (ValueError, OverflowError):
        raise InvalidParameter(name, _("This is not a real date.")) from None


def date_filter(params, name: str, field: str) -> Q:
    """Every `name` condition on `field` (AND), as one Q."""
    condition = Q()
    for raw in values(params, name):
        raw = raw.strip()
        prefix, text = (raw[:2], raw[2:]) if raw[:2] in PREFIXES + OTHER_PREFIXES else ("eq", raw)
        if prefix not in PREFIXES:
            raise InvalidParameter(
                name, _("Use one of the prefixes %(prefixes)s.") % {"prefixes": ", ".join(PREFIXES)}
            )
        start, end = _span(name, text)
        condition &= {
            "eq": Q(**{f"{field}__gte": start, f"{field}__lt": end}),
            "gt": Q(**{f"{field}__gte": end}),
            "ge": Q(**{f"{field}__gte": start}),
            "lt": Q(**{f"{field}__lt": start}),
            "le": Q(**{f"{field}__lt": end}),
        }[prefix]
    return condition


def token(name: str, value: str) -> tuple[str | None, str]:
    """`system|code` as (system, code); a bare `code` has system None."""
    system, bar, code = value.partition("|")
    if not bar:
        return None, value
    if not code:
        raise InvalidParameter(name, _("Give a value after the “|”."))
    return system or None, code


def codes(params, name: str, known: tuple[str, ...]) -> list[str] | None:
    """A comma-separated list of codes (OR), each one `known`; None when not given."""
    given = values(params, name)
    if not given:
        return None
    found = [code.strip() for value in given for code in value.split(",")]
    unknown = [code for code in found if code not in known]
    if unknown:
        raise InvalidParameter(
            name,
            _("Unknown code: %(codes)s. Known codes: %(known)s.")
            % {"codes": ", ".join(unknown), "known": ", ".join(known)},
        )
    return found


def reference_id(name: str, value: str, resource_type: str) -> str:
    """The id of `Type/id`, a full URL ending in it, or a bare id."""
    value = value.strip().rstrip("/")
    head, _slash, tail = value.rpartition("/")
    if head and head.rsplit("/", 1)[-1] != resource_type:
        raise InvalidParameter(
            name, _("Refer to a %(type)s, as %(type)s/<id>.") % {"type": resource_type}
        )
    return tail


def page_numbers(params) -> tuple[int, int]:
    def number(name, default, low, high):
        raw = one(params, name)
        if raw is None:
            return default
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise InvalidParameter(
                name,
                _("Give a whole number from %(low)s to %(high)s.") % {"low": low, "high": high},
            )
        return int(raw)

    return number("_count", DEFAULT_COUNT, 0, MAX_COUNT), number("_page", 1, 1, 10**6)


def bundle(request, queryset: QuerySet, entry) -> tuple[dict[str, Any], list]:
    """(searchset Bundle, the rows on its page): `entry(row)` gives (fullUrl, resource)."""
    count, page = page_numbers(request.query_params)
    total = queryset.count()
    start = (page - 1) * count
    rows = list(queryset[start : start + count]) if count and start < total else []
    last = max(1, -(-total // count)) if count else 1
    base = request.build_absolute_uri(request.path)
    kept = [(k, v) for k, v in request.query_params.lists() if k not in ("_page",)]
    query = [(k, v) for k, vs in kept for v in vs]

    def link(relation, number):
        return {"relation": relation, "url": f"{base}?{urlencode([*query, ('_page', number)])}"}

    links = [link("self", page), link("first", 1)]
    if page > 1:
        links.append(link("previous", min(page - 1, last)))
    if count and page < last:
        links.append(link("next", page + 1))
    links.append(link("last", last))
    entries = []
    for row in rows:
        full_url, resource = entry(row)
        entries.append({"fullUrl": full_url, "resource": resource, "search": {"mode": "match"}})
    body: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
    }
    if entries:
        body["entry"] = entries
    return body, rows
