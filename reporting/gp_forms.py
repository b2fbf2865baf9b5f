"""The GP-system extract's form: which practice, and which days (reporting.gp_extract)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.exceptions import ValidationError

from . import gp_extract


class DayInput(forms.TextInput):
    input_type = "date"


class GPExtractForm(forms.Form):
    """Practice, from and to, as the download's query string names them.

    "from" is a Python keyword, so the two date fields are added by name.
    """

    practice: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Practice"), queryset=None, to_field_name="ods_code", empty_label=None
    )

    def __init__(self, *args, practices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practice"].queryset = practices
        self.fields["practice"].label_from_instance = lambda practice: practice.display_name
        self.fields["from"] = forms.CharField(
            label=_("From date"),
            required=False,  # a missing date gets parse_period's message, naming the field
            widget=DayInput(attrs={"placeholder": "YYYY-MM-DD"}),
        )
        self.fields["to"] = forms.CharField(
            label=_("To date"), required=False, widget=DayInput(attrs={"placeholder": "YYYY-MM-DD"})
        )

    @classmethod
    def initial_data(cls, practices) -> dict:
        """What the page shows first: the first practice and the previous calendar month."""
        period = gp_extract.default_period()
        first = practices.first()
        return {
            "practice": first.ods_code if first else "",
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
        }

    def clean(self):
        cleaned = super().clean()
        # The dates' own errors come from the one parser the command also uses.
        try:
            cleaned["period"] = gp_extract.parse_period(self.data.get("from"), self.data.get("to"))
        except ValidationError as error:
            for field, messages in error.field_errors.items():
                self.add_error(field, messages)
        return cleaned
