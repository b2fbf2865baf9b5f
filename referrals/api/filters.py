"""Query parameters of the referral list: `status` and `updated_since`.

A parameter that is given must make sense: `status=` (blank) or an unknown
status answers 400 naming it, as does an `updated_since` that is not an RFC
3339 date-time with a real-world offset. Python accepts offsets up to
±23:59 but PostgreSQL refuses anything past ±15:59, so `-23:22` reached the
database and answered 500; the value is now checked here and handed on in UTC.
"""

import re
from datetime import UTC, datetime, timedelta

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from referrals.models import Referral, Status

# RFC 3339 `date-time` (what OpenAPI's `format: date-time` means): a date, a time and an offset.
RFC3339_DATE_TIME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[Tt](?P<time>\d{2}:\d{2}):(?P<second>\d{2})(?P<fraction>\.\d+)?"
    r"(?P<offset>[Zz]|[+-]\d{2}:\d{2})$"
)
# The offsets in use anywhere on Earth (Baker Island to Kiribati).
EARLIEST_OFFSET, LATEST_OFFSET = timedelta(hours=-12), timedelta(hours=14)


def parse_rfc3339(value: str) -> datetime:
    """'2026-01-31T09:00:00+01:00' -> the same instant in UTC. Raises forms.ValidationError."""
    match = RFC3339_DATE_TIME.fullmatch(value)
    if not match:
        raise forms.ValidationError(
            _(
                "Give an RFC 3339 date-time with its offset, such as 2026-01-31T09:00:00Z "
                "(a plus sign in the offset must be URL-encoded)."
            ),
            code="invalid",
        )
    # Leap seconds (:60) exist in RFC 3339 but not in Python; fractions past microseconds are noise.
    second = min(int(match["second"]), 59)
    fraction = (match["fraction"] or "")[:7]
    offset = "+00:00" if match["offset"] in "Zz" else match["offset"]
    try:
        parsed = datetime.fromisoformat(
            f"{match['date']}T{match['time']}:{second:02d}{fraction}{offset}"
        )
    except ValueError:
        raise forms.ValidationError(
            _("That date or time does not exist, such as a 31st of April or a 25th hour."),
            code="invalid",
        ) from None
    offset_from_utc = parsed.utcoffset()
    if offset_from_utc is None or not EARLIEST_OFFSET <= offset_from_utc <= LATEST_OFFSET:
        raise forms.ValidationError(
            _("Give an offset from UTC between -12:00 and +14:00."), code="offset"
        )
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise forms.ValidationError(
            _("Give a date-time between the years 1 and 9999 in UTC."), code="range"
        ) from None


class Rfc3339DateTimeField(forms.Field):
    def to_python(self, value):
        if value in self.empty_values:
            return None
        return parse_rfc3339(str(value))


@extend_schema_field(
    {
        "type": "string",
        "format": "date-time",
        "description": _(
            "Only referrals changed at or after this RFC 3339 date-time, "
            "such as 2026-01-31T09:00:00Z; the offset may be -12:00 to +14:00."
        ),
        # The offsets accepted: Z, or -12:00 to +14:00.
        "pattern": (
            r"(?:[Zz]|[+-](?:0[0-9]|1[0-1]):[0-5][0-9]|[+-]12:00|\+1[2-3]:[0-5][0-9]|\+14:00)$"
        ),
    }
)
class Rfc3339DateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = Rfc3339DateTimeField


class GivenMeansFilledForm(forms.Form):
    """A parameter left blank (`?status=`) is a mistake to name, not the same as leaving it out."""

    def clean(self):
        cleaned = super().clean()
        for name in self.fields:
            if name in self.data and not str(self.data.get(name) or "").strip():
                self._errors.pop(name, None)  # this says it better than "not a valid choice"
                self.add_error(name, _("This parameter is empty: give a value or leave it out."))
        return cleaned


class ReferralFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Status.choices, help_text=_("Only this status."))
    updated_since = Rfc3339DateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Referral
        fields = ["status", "updated_since"]
        form = GivenMeansFilledForm
