from django import template
from django.utils.formats import number_format
from django.utils.translation import get_language_info, gettext

from accounts.models import localised
from directory.models import Schedule

register = template.Library()

METRES_PER_MILE = 1609.344


@register.filter
def distance(metres):
    """'350 m (0.2 miles)' or '12.4 km (7.7 miles)'."""
    if metres is None:
        return ""
    metres = float(metres)
    miles = number_format(round(metres / METRES_PER_MILE, 1), 1)
    if metres < 1000:
        return gettext("%(metres)s m (%(miles)s miles)") % {
            "metres": number_format(round(metres / 10) * 10, 0),
            "miles": miles,
        }
    return gettext("%(km)s km (%(miles)s miles)") % {
        "km": number_format(round(metres / 1000, 1), 1),
        "miles": miles,
    }


@register.filter(name="localised")
def localised_filter(obj, field):
    """The reader's language version of a field: {{ service|localised:"eligibility" }}."""
    return localised(obj, field)


@register.filter
def weekdays(service):
    """The days a service meets, in week order, from its prefetched sessions."""
    days = sorted({schedule.weekday for schedule in service.schedules.all()})
    return [Schedule.Weekday(day).label for day in days]


@register.filter
def language_names(codes):
    """'pl, ar' -> the languages' names in the reader's language, where Django knows them."""
    names = []
    for code in (codes or "").split(","):
        code = code.strip().lower()
        if not code:
            continue
        try:
            names.append(get_language_info(code)["name_translated"])
        except KeyError:
            names.append(code)
    return names
