from django import forms, template
from django.conf import settings
from django.template.defaultfilters import join, truncatewords
from django.urls import reverse
from django.utils.formats import localize, number_format, time_format
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language_info, gettext, ngettext

from accounts.models import localised
from directory import maps
from directory.models import Schedule, Service

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
def capacity(service):
    """Whether a service takes new people, in words: "Waiting list: 1 to 3 months"."""
    if service.capacity == Service.Capacity.WAITING_LIST:
        band = conditional_escape(service.get_waiting_band_display())
        return mark_safe(gettext("Waiting list: %(band)s") % {"band": band})
    return service.get_capacity_display()


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


def _input(field, attrs: dict) -> SafeString:
    """`field.as_widget(attrs=attrs)` for a text box or a tick box: the markup of Django's
    "django/forms/widgets/input.html" and "attrs.html", written here (see `search_field`)."""
    widget = field.field.widget
    attrs = field.build_widget_attrs(attrs, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    value = context["value"]
    return format_html(
        '<input type="{}" name="{}"{}{}>',
        context["type"],
        context["name"],
        format_html(' value="{}"', value) if value is not None else "",
        format_html_join(
            "",
            "{}{}",
            (
                (
                    format_html(" {}", name),
                    "" if attr is True else format_html('="{}"', attr),
                )
                for name, attr in context["attrs"].items()
                if attr is not False
            ),
        ),
    )


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
        control = _input(field, attrs)
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


# One result of the directory's search (`result_card`). The whitespace is the page's own.
_CARD = """<li class="card mb-3" data-testid="result">
          <div class="card-body">
            <h3 class="h5 card-title mb-1"><span class="result-number" aria-hidden="true">{number}</span><a href="{url}">{name}</a></h3>
            <p class="text-body-secondary mb-2">{provider}
              {distance}
            </p>
            <p>{description}</p>
            {reasons}
            <dl class="row small mb-0">
              <dt class="col-sm-3">{cost_label}</dt>
              <dd class="col-sm-9">{cost}</dd>
              {days}
              <dt class="col-sm-3">{welsh_label}</dt>
              <dd class="col-sm-9">{welsh}</dd>
              <dt class="col-sm-3">{places_label}</dt>
              <dd class="col-sm-9">{places}
</dd>
              {categories}
            </dl>
          </div>
        </li>"""  # noqa: E501
_CARD_DAYS = """
                <dt class="col-sm-3">{label}</dt>
                <dd class="col-sm-9">{days}</dd>
              """
_CARD_CATEGORIES = """
                <dt class="col-sm-3">{label}</dt>
                <dd class="col-sm-9">{categories}</dd>
              """
_CARD_WORDS = "directory_tags.result_card"


def _card_words() -> dict:
    """What every card of a page says the same way, translated once for the page. Safe as
    `{% translate %}` gives them: a translation is the project's own text, not a reader's."""

    # Each gettext with its words written out, so that makemessages finds them.
    return {
        "cost_label": mark_safe(gettext("Cost")),
        "free": mark_safe(gettext("Free")),
        "a_cost": mark_safe(gettext("There is a cost")),
        "days_label": mark_safe(gettext("Days")),
        "welsh_label": mark_safe(gettext("Welsh")),
        "welsh_yes": mark_safe(gettext("Offered in Welsh")),
        "welsh_no": mark_safe(gettext("Not offered in Welsh")),
        "places_label": mark_safe(gettext("Places")),
        "categories_label": mark_safe(gettext("Categories")),
        "away": gettext("%(distance)s away"),
    }


@register.simple_tag(takes_context=True)
def result_card(context, number, service):
    """One result on the directory's search page (`<li>`): its name and link, provider,
    distance, description, why it matched, cost, days, Welsh, places and categories.

    Built here rather than in the page's template, as `search_field` is: twenty cards a page
    of template nodes (lookups, filters, a translation each label, an include) cost more
    than the search's own queries. The words every card shares are translated once a page."""
    words = context.render_context.get(_CARD_WORDS)
    if words is None:
        words = context.render_context[_CARD_WORDS] = _card_words()
    distance_text = ""
    if service.distance_m is not None:
        away = words["away"] % {"distance": conditional_escape(distance(service.distance_m))}
        distance_text = format_html('· <span data-testid="distance">{}</span>', mark_safe(away))
    reasons = ""
    if service.match_reasons:
        reasons = format_html(
            '<p class="small text-body-secondary" data-testid="match-reasons">{}</p>',
            join(service.match_reasons, " "),
        )
    if service.is_free:
        cost = words["free"]
    else:
        cost = localised(service, "cost_description") or words["a_cost"]
    days = weekdays(service)
    days_text = ""
    if days:
        days_text = format_html(_CARD_DAYS, label=words["days_label"], days=join(days, ", "))
    terms = service.taxonomy_terms.all()
    categories = ""
    if terms:
        categories = format_html(
            _CARD_CATEGORIES,
            label=words["categories_label"],
            categories=join([term.display_name for term in terms], ", "),
        )
    return format_html(
        _CARD,
        number=localize(number),
        url=reverse("directory:service", args=[service.uuid]),
        name=service.display_name,
        provider=service.provider.display_name,
        distance=distance_text,
        description=truncatewords(service.display_description, 40),
        reasons=reasons,
        cost_label=words["cost_label"],
        cost=cost,
        days=days_text,
        welsh_label=words["welsh_label"],
        welsh=words["welsh_yes"] if service.welsh_offered else words["welsh_no"],
        places_label=words["places_label"],
        places=capacity(service),
        categories=categories,
    )
