from django import forms
from django.db import models
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from .models import Service, ServiceChange, ServiceCheck
from .selectors import PROVIDER_EDITABLE_FIELDS

# Keeping the directory true: the provider's edit form, the editor's rejection,
# the link worker's pre-referral check. The rules across fields live in the
# services, which name the field at fault; these forms only parse.


class ServiceEditForm(forms.Form):
    """The fields a provider keeps current, labelled and typed as on the model."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["waiting_band"].choices = [
            ("", _("No waiting list")),
            *Service.WaitingBand.choices,
        ]
        for field in self.fields.values():
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs["rows"] = 3


def _formfield(model_field, **kwargs):
    if isinstance(model_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return model_field.formfield(**kwargs)


ServiceEditForm.base_fields = fields_for_model(
    Service, fields=PROVIDER_EDITABLE_FIELDS, formfield_callback=_formfield
)


class ServiceChangeRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it rejected?"),
        help_text=_("The provider is told this reason."),
        max_length=ServiceChange._meta.get_field("decision_note").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ServiceCheckForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dbs"].choices = ServiceCheck.Dbs.choices
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
