"""The dashboard's filters: periods in whole months, and only areas and schemes in the scope."""

from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Area, Organisation
from accounts.selectors import area_with_descendants_ids
from referrals.models import SourceKind

from .models import ReferralCube
from .selectors import Filters, Scope

DEFAULT_MONTHS = 12
MAX_WAIT_TARGET = 365


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


class MonthField(forms.CharField):
    """A month as YYYY-MM (what <input type="month"> sends), cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})
    default_error_messages = {"invalid": _("Enter a month as YYYY-MM, for example 2026-04.")}

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            year, month = (int(part) for part in value.split("-"))
            return date(year, month, 1)
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class DisplayNameChoiceField(forms.ModelChoiceField):
    """A choice of areas or organisations, each shown by its display name."""

    def label_from_instance(self, obj: Area | Organisation) -> str:
        return str(obj.display_name)


class DashboardFilterForm(forms.Form):
    start = MonthField(label=_("From (month)"), required=False)
    end = MonthField(label=_("To (month)"), required=False)
    area = DisplayNameChoiceField(
        label=_("Area"), queryset=Area.objects.none(), required=False, empty_label=_("All")
    )
    scheme = DisplayNameChoiceField(
        label=_("Scheme"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("All"),
    )
    source_kind = forms.ChoiceField(
        label=_("Source"), choices=[("", _("All")), *SourceKind.choices], required=False
    )
    wait_target = forms.IntegerField(
        label=_("First contact target (working days)"),
        min_value=1,
        max_value=MAX_WAIT_TARGET,
        required=False,
    )

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope = scope
        area, scheme = self._choices("area"), self._choices("scheme")
        # The choices come from the rollup, not the referral tables (a page never counts those).
        if scope.kind == "scheme":
            assert scope.scheme is not None  # a scheme scope always names its scheme
            # A manager's dashboard is their scheme's: the areas it takes referrals from.
            seen_areas = ReferralCube.objects.filter(scheme_id=scope.scheme.pk).values("area_id")
            area.queryset = Area.objects.filter(Q(pk=scope.scheme.area_id) | Q(pk__in=seen_areas))
            scheme.queryset = Organisation.objects.filter(pk=scope.scheme.pk)
            scheme.empty_label = None
        else:
            seen = ReferralCube.objects.filter(area_id__in=scope.area_ids).values("scheme_id")
            area.queryset = Area.objects.filter(pk__in=scope.area_ids)
            scheme.queryset = Organisation.objects.filter(
                Q(kind=Organisation.Kind.SCHEME) & (Q(area_id__in=scope.area_ids) | Q(pk__in=seen))
            )
        # An empty form shows what is counted when nothing is chosen.
        end = month_start(timezone.localdate())
        self.fields["end"].initial = f"{end:%Y-%m}"
        self.fields["start"].initial = f"{add_months(end, -(DEFAULT_MONTHS - 1)):%Y-%m}"
        self.fields["wait_target"].initial = settings.REPORTING_WAIT_TARGET_WORKING_DAYS

    def _choices(self, name: str) -> DisplayNameChoiceField:
        field = self.fields[name]
        assert isinstance(field, DisplayNameChoiceField)  # as declared above
        return field

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", _("The last month must not be before the first."))
        return cleaned

    def filters(self) -> Filters:
        """The filters to count with: what was asked where it was valid, else the defaults."""
        this_month = month_start(timezone.localdate())
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        end = data.get("end") or this_month
        start = data.get("start") or add_months(end, -(DEFAULT_MONTHS - 1))
        area = data.get("area")
        scheme = data.get("scheme") if self.scope.kind == "area" else self.scope.scheme
        return Filters(
            start=start,
            end=end,
            area=area,
            area_ids=area_with_descendants_ids(area) if area else set(self.scope.area_ids),
            scheme=scheme,
            source_kind=data.get("source_kind") or "",
            wait_target=data.get("wait_target") or settings.REPORTING_WAIT_TARGET_WORKING_DAYS,
        )
