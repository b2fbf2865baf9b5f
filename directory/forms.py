from typing import Any

from django import forms
from django.db import models
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from . import postcodes, selectors
from .models import Schedule, Service, ServiceChange, ServiceCheck, TaxonomyTerm
from .selectors import PROVIDER_EDITABLE_FIELDS


class DirectorySearchForm(forms.Form):
    """The public search: every field optional; a postcode must be one we can place."""

    q = forms.CharField(label=_("What are you looking for?"), required=False, max_length=200)
    category = forms.TypedChoiceField(label=_("Category"), required=False, empty_value=None)
    postcode = forms.CharField(
        label=_("Postcode"),
        required=False,
        max_length=20,
        help_text=_("To see the nearest first, for example CF37 1AB."),
    )
    day = forms.TypedChoiceField(
        label=_("Day"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any day")), *Schedule.Weekday.choices],
    )
    free = forms.BooleanField(label=_("Free only"), required=False)
    welsh = forms.BooleanField(label=_("Offered in Welsh"), required=False)
    step_free = forms.BooleanField(label=_("Step-free access"), required=False)
    hearing_loop = forms.BooleanField(label=_("Hearing loop"), required=False)
    accessible_toilet = forms.BooleanField(label=_("Accessible toilet"), required=False)

    ACCESSIBILITY = {
        "step_free": "step_free_access",
        "hearing_loop": "hearing_loop",
        "accessible_toilet": "accessible_toilet",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.categories = {str(term.uuid): term for term in selectors.search_categories()}
        category = self.fields["category"]
        assert isinstance(category, forms.TypedChoiceField)  # as declared above
        category.choices = [
            ("", _("All categories")),
            *(
                (key, "– " * term.depth + term.display_name)
                for key, term in self.categories.items()
            ),
        ]
        category.coerce = self.categories.get
        self.place: postcodes.Place | None = None

    def clean_postcode(self) -> str:
        raw = self.cleaned_data["postcode"].strip()
        if not raw:
            return ""
        try:
            self.place = postcodes.lookup(raw)
        except postcodes.PostcodeError as error:
            raise forms.ValidationError(str(error), code="postcode") from error
        return self.place.postcode

    def search_arguments(self) -> dict[str, Any]:
        """The keyword arguments for selectors.services_search."""
        data = self.cleaned_data
        category: TaxonomyTerm | None = data["category"]
        return {
            "q": data["q"],
            "category": category,
            "free_only": data["free"],
            "weekday": data["day"],
            "welsh": data["welsh"],
            "accessibility": tuple(flag for key, flag in self.ACCESSIBILITY.items() if data[key]),
            "near": self.place,
        }


# Keeping the directory true: the provider's edit form, the editor's rejection,
# the link worker's pre-referral check. The rules across fields live in the
# services, which name the field at fault; these forms only parse.


class ServiceEditForm(forms.Form):
    """The fields a provider keeps current, labelled and typed as on the model."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        waiting_band = self.fields["waiting_band"]
        assert isinstance(waiting_band, forms.ChoiceField)  # the model field has choices
        waiting_band.choices = [
            ("", _("No waiting list")),
            *Service.WaitingBand.choices,
        ]
        for field in self.fields.values():
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs["rows"] = 3


def _formfield(model_field: "models.Field[Any, Any]", **kwargs: Any) -> forms.Field | None:
    if isinstance(model_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return model_field.formfield(**kwargs)


ServiceEditForm.base_fields = fields_for_model(
    Service, fields=PROVIDER_EDITABLE_FIELDS, formfield_callback=_formfield
)


class NeedWordsForm(forms.Form):
    need_words = forms.CharField(
        label=_("Need words in English"),
        required=False,
        max_length=8000,
        help_text=_("One word or phrase a line, as people would type it: lonely, cost of living."),
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    need_words_cy = forms.CharField(
        label=_("Need words in Welsh"),
        required=False,
        max_length=8000,
        help_text=_("One word or phrase a line: unigrwydd, costau byw."),
        widget=forms.Textarea(attrs={"rows": 8, "lang": "cy"}),
    )


class ServiceChangeRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it rejected?"),
        help_text=_("The provider is told this reason."),
        max_length=ServiceChange._meta.get_field("decision_note").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ServiceCheckForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        dbs = self.fields["dbs"]
        assert isinstance(dbs, forms.ChoiceField)  # the model field has choices
        dbs.choices = ServiceCheck.Dbs.choices
        self.fields["dbs"].widget = forms.RadioSelect(choices=ServiceCheck.Dbs.choices)
        self.fields["checked_on"].widget = forms.DateInput(attrs={"type": "date"})
        self.fields["checked_on"].show_hidden_initial = False
        self.fields["checked_on"].required = False
        self.fields["checked_on"].help_text = _("Leave it empty for today.")
        self.fields["notes"].widget.attrs["rows"] = 3


ServiceCheckForm.base_fields = fields_for_model(
    ServiceCheck,
    fields=["checked_on", "safeguarding_policy", "insurance", "dbs", "visited", "notes"],
)
