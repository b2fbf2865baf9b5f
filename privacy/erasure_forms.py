"""The forms of the correction and erasure pages: they parse and check input; services decide."""

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from core.postcodes import clean_postcode
from referrals.forms import DateInput
from referrals.models import ContactMethod, EthnicGroup, Gender, Language, Person
from referrals.services import PERSON_FIELDS
from referrals.services.people import plain
from referrals.validators import normalise_nhs_number, validate_not_in_future

from .models import REASON_LIMIT


def _reason_field(help_text: StrOrPromise) -> forms.CharField:
    return forms.CharField(
        label=_("Reason"),
        max_length=REASON_LIMIT,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ServiceErrorsMixin:
    """Put a service's ValidationError on the fields it names (the rest above the form)."""

    fields: dict[str, forms.Field]

    def add_service_errors(self, field_errors: dict[str, list[str]]) -> None:
        for field, messages in field_errors.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)  # type: ignore[attr-defined]


class PersonCorrectionForm(ServiceErrorsMixin, forms.Form):
    """The person's details as the scheme holds them, to correct, and why."""

    given_name = forms.CharField(label=_("First name"), max_length=100)
    family_name = forms.CharField(label=_("Last name"), max_length=100)
    preferred_name = forms.CharField(label=_("Preferred name"), max_length=100, required=False)
    date_of_birth = forms.DateField(
        label=_("Date of birth"), widget=DateInput, validators=[validate_not_in_future]
    )
    nhs_number = forms.CharField(
        label=_("NHS number"),
        max_length=12,
        required=False,
        help_text=_("10 digits. Leave blank if you do not know it."),
    )
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices)
    ethnic_group = forms.ChoiceField(label=_("Ethnic group"), choices=EthnicGroup.choices)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=10)
    phone = forms.CharField(label=_("Phone number"), max_length=30, required=False)
    email = forms.EmailField(label=_("Email address"), required=False)
    contact_method = forms.ChoiceField(
        label=_("Best way to contact them"), choices=ContactMethod.choices
    )
    may_leave_message = forms.BooleanField(label=_("A message may be left"), required=False)
    preferred_language = forms.ChoiceField(label=_("Preferred language"), choices=Language.choices)
    communication_needs = forms.CharField(
        label=_("Communication or access needs"), max_length=500, required=False
    )
    reason = _reason_field(
        _("Why the details are corrected, and on whose word (for example, the person asked).")
    )
    # What the page showed, so a change someone else made meanwhile is noticed, not overwritten.
    seen = forms.CharField(widget=forms.HiddenInput)

    @classmethod
    def for_person(cls, person: Person) -> "PersonCorrectionForm":
        initial = {field: getattr(person, field) for field in PERSON_FIELDS}
        seen = {field: plain(value) for field, value in initial.items()}
        return cls(initial={**initial, "seen": json.dumps(seen)})

    def clean_nhs_number(self) -> str:
        value = self.cleaned_data["nhs_number"].strip()
        if not value:
            return ""
        try:
            return normalise_nhs_number(value)
        except DjangoValidationError as error:
            raise forms.ValidationError(error.messages) from None

    def clean_postcode(self) -> str:
        try:
            return clean_postcode(self.cleaned_data["postcode"])
        except DjangoValidationError as error:
            raise forms.ValidationError(error.messages) from None

    def clean_seen(self) -> dict[str, str]:
        try:
            seen = json.loads(self.cleaned_data["seen"])
        except ValueError:
            seen = None
        if not isinstance(seen, dict) or not all(isinstance(v, str) for v in seen.values()):
            raise forms.ValidationError(_("The page was out of date: look again."))
        return {key: value for key, value in seen.items() if key in PERSON_FIELDS}

    def changes(self) -> tuple[dict[str, Any], dict[str, str]]:
        """(the fields changed on the page with their new values, what the page showed for them)."""
        seen = self.cleaned_data["seen"]
        changed = {
            field: self.cleaned_data[field]
            for field in PERSON_FIELDS
            if plain(self.cleaned_data[field]) != seen.get(field, "")
        }
        return changed, {field: seen.get(field, "") for field in changed}


class PersonEraseForm(ServiceErrorsMixin, forms.Form):
    """Why the person is erased, and one of their references typed to confirm it."""

    reason = _reason_field(
        _(
            "For example, the person asked for their details to be erased. Do not name them: "
            "the reason is kept in the audit trail, which is never erased."
        )
    )
    confirm_reference = forms.CharField(
        label=_("Type a reference of this person's referrals to confirm"),
        max_length=20,
        help_text=_("Erasing cannot be undone."),
    )

    def __init__(self, *args: Any, references: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.references = references

    def clean_confirm_reference(self) -> str:
        typed = "".join(self.cleaned_data["confirm_reference"].split()).upper()
        if typed not in self.references:
            raise forms.ValidationError(
                _("That is not a reference of this person's referrals: type one shown above.")
            )
        return typed
