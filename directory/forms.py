from django import forms
from django.utils.translation import gettext_lazy as _

from . import postcodes, selectors
from .models import Schedule, TaxonomyTerm


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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = {str(term.uuid): term for term in selectors.search_categories()}
        self.fields["category"].choices = [
            ("", _("All categories")),
            *(
                (key, "– " * term.depth + term.display_name)
                for key, term in self.categories.items()
            ),
        ]
        self.fields["category"].coerce = self.categories.get
        self.place: postcodes.Place | None = None

    def clean_postcode(self):
        raw = self.cleaned_data["postcode"].strip()
        if not raw:
            return ""
        try:
            self.place = postcodes.lookup(raw)
        except postcodes.PostcodeError as error:
            raise forms.ValidationError(str(error), code="postcode") from error
        return self.place.postcode

    def search_arguments(self) -> dict:
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
