from django import forms, template
from django.conf import settings
from django.utils.formats import number_format, time_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language_info, gettext, ngettext

from accounts.models import localised
from directory import maps
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


@register.filter
def reply_time(days):
    """A listing's usual reply time in words: never "0 days" (the stored median is whole days)."""
    if days is None:
        return gettext("No replies yet")
    if days == 0:
        return gettext("Usually replies the same day")
    return ngettext(
        "Usually replies within %(days)s day", "Usually replies within %(days)s days", days
    ) % {"days": days}


@register.filter
def sessions(service):
    """When a service meets, from its prefetched sessions: ["Tuesday 10:00–12:00", ...]."""
    return [
        gettext("%(day)s %(opens)s–%(closes)s")
        % {
            "day": schedule.get_weekday_display(),
            "opens": time_format(schedule.opens_at, "H:i"),
            "closes": time_format(schedule.closes_at, "H:i"),
        }
        for schedule in service.schedules.all()
    ]


@register.simple_tag
def results_map(numbered):
    """What the map beside a list of results draws; None when there is no map to draw.

    `numbered` is the [(number, service)] pairs the list shows. No map when it is
    off (MAP_TILE_URL empty) or no result has a place. The page lays out the list
    beside it and includes "directory/_results_map.html" with `map` and a `label`.
    """
    points = maps.map_points(numbered) if maps.map_enabled() else []
    if not points:
        return None
    return {
        "points": points,
        "tile_url": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
    }


@register.simple_tag
def search_field(field):
    """One field of the directory's search form in Bootstrap 5's markup, as crispy-forms
    draws it (label, control, errors, help), built here rather than from crispy's and
    Django's widget templates: the form is drawn on every search, and those templates
    (an include for every option of a list) cost more than the search's own queries."""
    widget = field.field.widget
    errors = list(field.errors)
    described = [f"{field.auto_id}_helptext"] if field.help_text else []
    described += [f"{field.auto_id}_error"] if errors else []
    invalid = " is-invalid" if errors else ""
    checkbox = isinstance(widget, forms.CheckboxInput)
    if isinstance(widget, forms.Select):
        value = field.value()
        chosen = "" if value is None else str(value)
        control = format_html(
            '<select name="{}" class="select form-select{}"{}{} id="{}">\n{}\n</select>',
            field.html_name,
            invalid,
            mark_safe(' aria-invalid="true"') if errors else "",
            format_html(' aria-describedby="{}"', " ".join(described)) if described else "",
            field.auto_id,
            format_html_join(
                "\n",
                '<option value="{}"{}>{}</option>',
                (
                    (key, mark_safe(" selected") if str(key) == chosen else "", label)
                    for key, label in field.field.choices
                ),
            ),
        )
    else:
        kind = "checkboxinput form-check-input" if checkbox else "textinput form-control"
        attrs = {"class": kind + invalid}
        if described:
            attrs["aria-describedby"] = " ".join(described)
        control = field.as_widget(attrs=attrs)
    feedback = ""
    if errors:
        feedback = format_html(
            '<div id="{}_error" class="invalid-feedback">{}</div>',
            field.auto_id,
            format_html_join(
                "",
                '<p id="error_{}_{}"><strong>{}</strong></p>',
                ((n, field.auto_id, error) for n, error in enumerate(errors, 1)),
            ),
        )
    help_text = ""
    if field.help_text:
        help_text = format_html(
            '<div id="{}_helptext" class="form-text">{}</div>', field.auto_id, field.help_text
        )
    if checkbox:
        return format_html(
            '<div class="mb-3"><div id="div_{}" class="form-check">{}'
            '<label for="{}" class="form-check-label">{}</label>{}{}</div></div>',
            field.auto_id, control, field.id_for_label, field.label, feedback, help_text,
        )  # fmt: skip
    return format_html(
        '<div id="div_{}" class="mb-3"><label for="{}" class="form-label">{}</label>{}{}{}</div>',
        field.auto_id, field.id_for_label, field.label, control, feedback, help_text,
    )  # fmt: skip
