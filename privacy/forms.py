"""The audit viewer's filters: they parse and check what the DPO typed; the selectors read."""

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEvent, User
from referrals.forms import DateInput
from referrals.models import Person

from .selectors import audit as selectors


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_full_name() or obj.username} ({obj.get_role_display()})"


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("From date"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("To date"), required=False, widget=DateInput)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The to date must not be before the from date."))
        return cleaned


class AuditPeriodForm(PeriodForm):
    """What a person's or a user's history is narrowed by: what was done, and when."""

    action = forms.ChoiceField(
        label=_("What"),
        choices=[("", _("Anything")), *AuditEvent.Action.choices],
        required=False,
    )
    field_order = ["action", "date_from", "date_to"]

    def criteria(self) -> dict[str, Any]:
        """Keyword arguments for selectors.audit_trail_for (call once the form is valid)."""
        return {
            "action": self.cleaned_data.get("action") or "",
            "since": self.cleaned_data.get("date_from"),
            "until": self.cleaned_data.get("date_to"),
        }


class AuditFilterForm(AuditPeriodForm):
    """The whole trail's filters: by person, by user, by what was done, by dates."""

    person = forms.CharField(
        label=_("Person"),
        help_text=_("An SP- reference or an NHS number."),
        required=False,
        max_length=40,
    )
    user = UserChoiceField(
        label=_("User"),
        queryset=User.objects.none(),
        to_field_name="uuid",
        required=False,
        empty_label=_("Anyone"),
    )
    field_order = ["person", "user", "action", "date_from", "date_to"]

    def __init__(self, *args: Any, dpo: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dpo = dpo
        self.fields["user"].queryset = selectors.scheme_user_choices(dpo)  # type: ignore[attr-defined]

    def clean_person(self) -> list[Person]:
        text = self.cleaned_data.get("person", "").strip()
        if not text:
            return []
        if not selectors.looks_like_reference_or_nhs_number(text):
            raise forms.ValidationError(
                _("Enter an SP- reference, such as SP-ABC123, or a 10-digit NHS number.")
            )
        people = selectors.find_people(self.dpo, text)
        if not people:
            raise forms.ValidationError(
                _("No one referred to this scheme has that reference or NHS number.")
            )
        return people

    def criteria(self) -> dict[str, Any]:
        criteria = super().criteria()
        people: list[Person] = self.cleaned_data.get("person") or []
        if people:
            uuids: list[UUID] = []
            for person in people:
                uuids.extend(selectors.person_uuids(person))
            criteria["people"] = uuids
        criteria["actor"] = self.cleaned_data.get("user")
        return criteria


class FindPersonForm(forms.Form):
    """Find someone referred to the scheme by an SP- reference or NHS number."""

    find = forms.CharField(
        label=_("SP- reference or NHS number"), max_length=40, required=True, strip=True
    )

    def clean_find(self) -> str:
        text: str = self.cleaned_data["find"]
        if not selectors.looks_like_reference_or_nhs_number(text):
            raise forms.ValidationError(
                _("Enter an SP- reference, such as SP-ABC123, or a 10-digit NHS number.")
            )
        return text


class UnusualFilterForm(PeriodForm):
    """The unusual-access page: whose days, over which period (the last 30 days unless asked)."""

    user = UserChoiceField(
        label=_("User"),
        queryset=User.objects.none(),
        to_field_name="uuid",
        required=False,
        empty_label=_("Anyone"),
    )
    field_order = ["user", "date_from", "date_to"]

    def __init__(self, *args: Any, dpo: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = selectors.scheme_user_choices(dpo)  # type: ignore[attr-defined]

    def period(self) -> tuple[date, date]:
        """The period asked for: 30 days ending today, or ending on the to date, unless given."""
        end: date = self.cleaned_data.get("date_to") or timezone.localdate()
        start: date = self.cleaned_data.get("date_from") or end - timedelta(days=29)
        return start, end
