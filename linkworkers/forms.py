"""Browser forms: they parse input; the services check it and write."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DateInput(forms.DateInput):
    input_type = "date"


class OutcomeForm(forms.Form):
    """One field per item of the instrument. The answers are checked by the service
    (outcome_record), so that its errors, which name the item, are the ones shown."""

    answered_on = forms.DateField(
        label=_("Date answered"),
        widget=DateInput(format="%Y-%m-%d", attrs={"class": "form-control"}),
        initial=timezone.localdate,
    )

    def __init__(self, *args, instrument, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(instrument.items.all())
        for item in self.items:
            self.fields[f"item_{item.pk}"] = forms.CharField(
                label=item.display_text, required=False, max_length=10
            )

    def answers(self):
        return {item.pk: self.cleaned_data.get(f"item_{item.pk}") for item in self.items}

    def questions(self):
        """Each item with its bound field and its answers as (value, label) pairs."""
        return [
            (
                item,
                self[f"item_{item.pk}"],
                [(v, item.answer_label(v)) for v in range(item.min_value, item.max_value + 1)],
            )
            for item in self.items
        ]

    def add_service_errors(self, field_errors):
        for field, messages in field_errors.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
