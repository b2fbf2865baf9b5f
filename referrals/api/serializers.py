"""Input and output shapes of the partner API. They parse and present; services decide.

Field formats are checked here (dates, choices, lengths, NHS number check
digit, postcode shape) so that a partner hears of every such mistake at once;
the rules of a referral (consent given, risk described...) are the service's.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.postcodes import validate_postcode
from referrals.models import (
    TEXT_LIMIT,
    ContactMethod,
    EthnicGroup,
    Gender,
    GPFeedback,
    Language,
    Reason,
    ReferralEvent,
    Status,
    Urgency,
)
from referrals.services import PERSON_FIELDS
from referrals.validators import validate_nhs_number, validate_not_in_future

from .fields import (
    BooleanField,
    ChoicesField,
    ConsentField,
    EmailField,
    NhsNumberField,
    PostcodeField,
    TextField,
)

REFERRER_FIELDS = ("name", "role", "phone", "email")


def api_field_name(service_field: str) -> str:
    """Where a field the service names sits in the body (`postcode` -> `person.postcode`)."""
    if service_field in PERSON_FIELDS:
        return f"person.{service_field}"
    if service_field.startswith("referrer_") and service_field[9:] in REFERRER_FIELDS:
        return f"referrer.{service_field[9:]}"
    return service_field


class ShallowFieldsSerializer(serializers.Serializer):
    """A serializer whose fields are copied shallowly for each use, not deep-copied.

    DRF deep-copies every declared field for each serializer it makes, running each
    field's __init__ again; for a request body parsed or an answer written out that
    was a large part of the API's time. A shallow copy is bound to this serializer as
    DRF binds the deep one; what the copies share (choices, validators, error
    messages, a list's child field, help texts) is only read. A nested serializer's
    copy starts without the state a use leaves on it (its bound fields, its data).
    """

    def get_fields(self):
        return {name: _shallow_copy(field) for name, field in self._declared_fields.items()}


# What a serializer keeps of one use; a copy of a declared (never used) one starts without it.
_PER_USE_STATE = ("fields", "_validated_data", "_errors", "_data", "initial_data", "_context")


def _shallow_copy(field):
    """copy.copy of a field, without copy's general machinery (__reduce_ex__)."""
    copied = object.__new__(type(field))
    state = copied.__dict__
    state.update(field.__dict__)
    if isinstance(field, serializers.BaseSerializer):
        for name in _PER_USE_STATE:
            state.pop(name, None)
    return copied


class OutputSerializer(ShallowFieldsSerializer):
    """An answer's shape, only ever written out."""


class PersonInputSerializer(ShallowFieldsSerializer):
    given_name = TextField(max_length=100)
    family_name = TextField(max_length=100)
    preferred_name = TextField(max_length=100, required=False, allow_blank=True)
    date_of_birth = serializers.DateField(
        validators=[validate_not_in_future], help_text=_("Not after today.")
    )
    nhs_number = NhsNumberField(
        max_length=12,
        required=False,
        allow_blank=True,
        allow_null=True,
        validators=[validate_nhs_number],
        help_text=_("10 digits, spaces allowed; checked by its check digit. Leave out if unknown."),
    )
    gender = serializers.ChoiceField(choices=Gender.choices, required=False)
    ethnic_group = serializers.ChoiceField(
        choices=EthnicGroup.choices,
        required=False,
        help_text=_("NHS Data Dictionary ethnic category code."),
    )
    address = TextField(max_length=300, required=False, allow_blank=True)
    postcode = PostcodeField(
        max_length=10, validators=[validate_postcode], help_text=_("A UK postcode.")
    )
    phone = TextField(max_length=30, required=False, allow_blank=True)
    email = EmailField(required=False, allow_blank=True)
    contact_method = serializers.ChoiceField(choices=ContactMethod.choices, required=False)
    may_leave_message = BooleanField(required=False)
    preferred_language = serializers.ChoiceField(choices=Language.choices, required=False)
    communication_needs = TextField(max_length=500, required=False, allow_blank=True)


class ReferrerInputSerializer(ShallowFieldsSerializer):
    name = TextField(
        max_length=200, help_text=_("The clinician or professional making the referral.")
    )
    role = TextField(max_length=100, required=False, allow_blank=True)
    phone = TextField(max_length=30, required=False, allow_blank=True)
    email = EmailField(required=False, allow_blank=True)


class ReferralCreateInputSerializer(ShallowFieldsSerializer):
    """A referral as the PRSB "Referral to social prescribing services" standard words it."""

    person = PersonInputSerializer()
    reasons = ChoicesField(
        choices=Reason.choices, allow_empty=False, help_text=_("One or more reason codes.")
    )
    reason_other = TextField(max_length=200, required=False, allow_blank=True)
    what_matters = TextField(
        max_length=TEXT_LIMIT, help_text=_("What matters to the person, in the referrer's words.")
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    risk_flag = BooleanField(
        required=False,
        help_text=_("A safeguarding or risk concern; when true, describe it in risk_details."),
    )
    risk_details = TextField(max_length=TEXT_LIMIT, required=False, allow_blank=True)
    consent_to_referral = ConsentField(
        help_text=_("The person agreed to be referred. Must be true.")
    )
    consent_to_share = ConsentField(
        help_text=_(
            "The person agreed to their details being shared with the scheme. Must be true."
        )
    )
    gp_feedback = serializers.ChoiceField(
        choices=GPFeedback.choices,
        required=False,
        help_text=_("What may go back to the person's GP."),
    )
    referrer = ReferrerInputSerializer()

    def person_details(self) -> dict:
        return dict(self.validated_data["person"])

    def referral_details(self) -> dict:
        data = {
            key: value
            for key, value in self.validated_data.items()
            if key not in ("person", "referrer")
        }
        data["reasons"] = sorted(data["reasons"])
        for key, value in self.validated_data["referrer"].items():
            data[f"referrer_{key}"] = value
        return data


class SchemeNameField(serializers.CharField):
    """The scheme's name: from the row's `scheme_name` where the query brought it along
    (the list and the detail), else from its scheme (a referral just made)."""

    def get_attribute(self, instance):
        return _scheme_name(instance)


def _scheme_name(referral) -> str:
    name = getattr(referral, "scheme_name", None)
    return referral.scheme.name if name is None else name


class ReferralOutputSerializer(OutputSerializer):
    """What a list shows of each referral: where it stands, and no one's personal details."""

    id = serializers.UUIDField(source="uuid")
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    reasons = serializers.ListField(child=serializers.ChoiceField(choices=Reason.choices))
    scheme = SchemeNameField()
    received_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    rejected_at = serializers.DateTimeField(allow_null=True)
    allocated_at = serializers.DateTimeField(allow_null=True)
    first_contact_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()


class PersonOutputSerializer(OutputSerializer):
    """What a referrer sees of the person: enough to know who, not how to reach them.

    Read from what the referrer supplied (Referral.person_as_referred), never the
    scheme's record of the person.
    """

    given_name = serializers.CharField()
    family_name = serializers.CharField()
    preferred_name = serializers.CharField()
    date_of_birth = serializers.DateField()
    nhs_number = serializers.CharField(allow_null=True)
    postcode = serializers.CharField()


class TimelineEventOutputSerializer(OutputSerializer):
    id = serializers.UUIDField(source="uuid")
    kind = serializers.ChoiceField(choices=ReferralEvent.Kind.choices)
    from_status = serializers.CharField(allow_blank=True)
    to_status = serializers.CharField(allow_blank=True)
    # The words as the referrer may read them (referrals.selectors.referrer_timeline).
    note = serializers.CharField(
        source="shown_note",
        allow_blank=True,
        help_text=_(
            "The event's words. Empty when gp_feedback is coded_only and the scheme wrote "
            "them: then only what the referring organisation wrote itself is given."
        ),
    )
    created_at = serializers.DateTimeField()


class ReferrerOutputSerializer(OutputSerializer):
    name = serializers.CharField(source="referrer_name")
    role = serializers.CharField(source="referrer_role")
    phone = serializers.CharField(source="referrer_phone")
    email = serializers.CharField(source="referrer_email")


class ReferralDetailOutputSerializer(ReferralOutputSerializer):
    person = PersonOutputSerializer(source="person_as_referred")
    source_kind = serializers.CharField()
    reason_other = serializers.CharField()
    what_matters = serializers.CharField()
    gp_feedback = serializers.ChoiceField(
        choices=GPFeedback.choices,
        help_text=_(
            "What the person agreed may go back to their GP, as it stands now (the scheme "
            "records a change of mind). With coded_only the scheme's words are withheld: "
            "suggested_alternative and closure_summary are null and the scheme's timeline "
            "notes are empty; status, dates, reasons and coded events are given."
        ),
    )
    risk_flag = serializers.BooleanField()
    risk_details = serializers.CharField()
    referrer = ReferrerOutputSerializer(source="*")
    rejection_reason = serializers.CharField(allow_blank=True)
    suggested_alternative = serializers.SerializerMethodField(
        help_text=_(
            "The scheme's suggestion when it did not accept the referral; empty until then. "
            "Null when gp_feedback is coded_only: the person asked that only coded events "
            "go back to their GP."
        )
    )
    closure_reason = serializers.CharField(allow_blank=True)
    closure_summary = serializers.SerializerMethodField(
        help_text=_(
            "The message back to the GP and referrer at closure; empty until then. Null when "
            "gp_feedback is coded_only: the person asked that only coded events go back to "
            "their GP, so the closure_reason code is all that is given."
        )
    )
    timeline = serializers.SerializerMethodField(
        help_text=_("Status changes and messages meant for the referrer, oldest first.")
    )

    # The words come from referrals.selectors.referrer_feedback_text, passed in by the
    # view: the one decision the page and the emails also follow.
    @extend_schema_field(serializers.CharField(allow_null=True, allow_blank=True))
    def get_suggested_alternative(self, referral) -> str | None:
        text = self.context["feedback_text"]
        return text.suggested_alternative if text.shown else None

    @extend_schema_field(serializers.CharField(allow_null=True, allow_blank=True))
    def get_closure_summary(self, referral) -> str | None:
        text = self.context["feedback_text"]
        return text.closure_summary if text.shown else None

    @extend_schema_field(TimelineEventOutputSerializer(many=True))
    def get_timeline(self, referral):
        # The events come from the referrer's timeline selector, passed in by the view.
        return TimelineEventOutputSerializer(self.context["timeline"], many=True).data


# The answers written out by hand, field for field as the serializers above write them
# (a test compares the two on every shape of referral). The serializers stay the schema's
# description; these are what the partner API sends, at a fraction of DRF's cost per field
# (a serializer binds and walks a copy of every field for every answer). The values go
# through the same DRF fields' to_representation, so dates, times (in the current time
# zone), ids and choices read exactly as before.
_UUID = serializers.UUIDField()
_DATE = serializers.DateField()
_DATETIME = serializers.DateTimeField()
_BOOLEAN = serializers.BooleanField()
_STATUS = serializers.ChoiceField(choices=Status.choices)
_URGENCY = serializers.ChoiceField(choices=Urgency.choices)
_REASON = serializers.ChoiceField(choices=Reason.choices)
_GP_FEEDBACK = serializers.ChoiceField(choices=GPFeedback.choices)
_EVENT_KIND = serializers.ChoiceField(choices=ReferralEvent.Kind.choices)
_MILESTONES = (
    "accepted_at", "rejected_at", "allocated_at", "first_contact_at", "closed_at", "cancelled_at",
)  # fmt: skip


def _shown(field, value):
    """`value` as `field` writes it in an answer (None stays None, as a serializer has it)."""
    return None if value is None else field.to_representation(value)


def _text(value):
    return None if value is None else str(value)


def referral_answer(referral) -> dict:
    """ReferralOutputSerializer(referral).data, written out directly."""
    answer = {
        "id": _shown(_UUID, referral.uuid),
        "reference": _text(referral.reference),
        "status": _shown(_STATUS, referral.status),
        "urgency": _shown(_URGENCY, referral.urgency),
        "reasons": None
        if referral.reasons is None
        else [_shown(_REASON, reason) for reason in referral.reasons],
        "scheme": _text(_scheme_name(referral)),
        "received_at": _shown(_DATETIME, referral.received_at),
    }
    for name in _MILESTONES:
        answer[name] = _shown(_DATETIME, getattr(referral, name))
    answer["updated_at"] = _shown(_DATETIME, referral.updated_at)
    return answer


def referral_detail_answer(referral, *, timeline, feedback_text) -> dict:
    """ReferralDetailOutputSerializer(referral, context={timeline, feedback_text}).data,
    written out directly: `timeline` from referrals.selectors.referrer_timeline_for_api,
    `feedback_text` from referrals.selectors.referrer_feedback_text."""
    answer = referral_answer(referral)
    person = referral.person_as_referred
    answer["person"] = (
        None
        if person is None
        else {
            "given_name": _text(person.given_name),
            "family_name": _text(person.family_name),
            "preferred_name": _text(person.preferred_name),
            "date_of_birth": _shown(_DATE, person.date_of_birth),
            "nhs_number": _text(person.nhs_number),
            "postcode": _text(person.postcode),
        }
    )
    shown = feedback_text.shown
    answer.update(
        source_kind=_text(referral.source_kind),
        reason_other=_text(referral.reason_other),
        what_matters=_text(referral.what_matters),
        gp_feedback=_shown(_GP_FEEDBACK, referral.gp_feedback),
        risk_flag=_shown(_BOOLEAN, referral.risk_flag),
        risk_details=_text(referral.risk_details),
        referrer={
            "name": _text(referral.referrer_name),
            "role": _text(referral.referrer_role),
            "phone": _text(referral.referrer_phone),
            "email": _text(referral.referrer_email),
        },
        rejection_reason=_text(referral.rejection_reason),
        suggested_alternative=feedback_text.suggested_alternative if shown else None,
        closure_reason=_text(referral.closure_reason),
        closure_summary=feedback_text.closure_summary if shown else None,
        timeline=[
            {
                "id": _shown(_UUID, event.uuid),
                "kind": _shown(_EVENT_KIND, event.kind),
                "from_status": _text(event.from_status),
                "to_status": _text(event.to_status),
                "note": _text(event.shown_note),
                "created_at": _shown(_DATETIME, event.created_at),
            }
            for event in timeline
        ],
    )
    return answer


class ProblemSerializer(serializers.Serializer):
    """RFC 7807 problem details, for the schema (core.problems makes them)."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField(required=False)
    invalid_params = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()), required=False
    )
