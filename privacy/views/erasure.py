"""Correcting and erasing a person's details: parse, call the service, render."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import User
from accounts.services import audit_view
from core.exceptions import ApplicationError, Refused, ValidationError
from referrals.models import Person
from referrals.selectors import get_person_for_data_protection, scheme_referrals_of

from ..erasure_forms import PersonCorrectionForm, PersonEraseForm
from ..models import PersonCorrection
from ..services import erasure as services
from ..services.erasure import CORRECTION_ROLES, ERASURE_ROLES


class AuthenticatedHttpRequest(HttpRequest):
    user: User


def _person_or_404(request: AuthenticatedHttpRequest, person_uuid: UUID, roles) -> Person:
    """The person, for the roles given and within their scheme; 404 alike for everything else."""
    if request.user.role not in roles:
        raise Http404
    person: Person = get_person_for_data_protection(request.user, person_uuid)
    return person


def _references(request: AuthenticatedHttpRequest, person: Person) -> list[str]:
    return [
        referral.reference
        for referral in scheme_referrals_of(person, request.user.organisation_id).only("reference")
    ]


def _render(
    request: AuthenticatedHttpRequest,
    template: str,
    person: Person,
    what: str,
    context: dict,
    status: int = 200,
    references: list[str] | None = None,
) -> HttpResponse:
    """The page, with its one audit row naming the person and the references shown."""
    if references is None:
        references = _references(request, person)
    audit_view(actor=request.user, what=what, people=[person], records=references, request=request)
    context = {"person": person, "references": references, **context}
    return render(request, template, context, status=status)


def _label(field: str) -> str:
    return str(Person._meta.get_field(field).verbose_name)  # type: ignore[union-attr]


def _shown(field: str, value: str) -> str:
    """A kept value as the page shows it: a choice by its label, anything else as written."""
    choices = dict(Person._meta.get_field(field).choices or ())  # type: ignore[union-attr]
    if field == "may_leave_message":
        return _("Yes") if value else _("No")
    return str(choices.get(value, value))


def _history(person: Person) -> list[tuple[PersonCorrection, list[tuple[str, str, str]]]]:
    """Each correction, newest first, with (field label, old value, new value) per field."""
    return [
        (
            correction,
            [
                (
                    _label(field),
                    _shown(field, old),
                    _shown(field, new),
                )
                for field, (old, new) in correction.changes.items()
            ],
        )
        for correction in PersonCorrection.objects.filter(person=person).select_related("actor")
    ]


@login_required
@require_http_methods(["GET", "POST"])
def person_correct(request: AuthenticatedHttpRequest, person_uuid: UUID) -> HttpResponse:
    """The person's details to correct (DPO and the scheme's coordinator), with their history."""
    person = _person_or_404(request, person_uuid, CORRECTION_ROLES)
    form: PersonCorrectionForm | None = None
    if request.method == "POST" and not person.is_erased:
        form = PersonCorrectionForm(request.POST)
        if form.is_valid():
            changes, seen = form.changes()
            try:
                services.person_correct(
                    person=person, actor=request.user, changes=changes, seen=seen,
                    reason=form.cleaned_data["reason"], request=request,
                )  # fmt: skip
            except Refused:
                raise Http404 from None
            except ValidationError as error:
                form.add_service_errors(error.field_errors or {"__all__": [error.message]})
            except ApplicationError as error:
                messages.error(request, error.message)
                return redirect("privacy:person_correct", person_uuid=person.uuid)
            else:
                messages.success(
                    request, _("The details are corrected; the old ones are kept below.")
                )
                return redirect("privacy:person_correct", person_uuid=person.uuid)
    else:
        form = None if person.is_erased else PersonCorrectionForm.for_person(person)
    return _render(
        request, "privacy/person_correct.html", person, "person correction page",
        {"form": form, "corrections": _history(person)},
        status=400 if form is not None and form.is_bound else 200,
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def person_erase(request: AuthenticatedHttpRequest, person_uuid: UUID) -> HttpResponse:
    """Erase the person (the DPO only): the reason, and a reference typed to confirm."""
    person = _person_or_404(request, person_uuid, ERASURE_ROLES)
    references = _references(request, person)
    form = None
    if not person.is_erased:
        form = PersonEraseForm(
            request.POST if request.method == "POST" else None, references=references
        )
    if form is not None and form.is_bound and form.is_valid():
        try:
            services.person_erase(
                person=person, actor=request.user, reason=form.cleaned_data["reason"],
                request=request,
            )  # fmt: skip
        except Refused:
            raise Http404 from None
        except ValidationError as error:
            form.add_service_errors(error.field_errors or {"__all__": [error.message]})
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The person's details are erased."))
            return redirect("privacy:person_erase", person_uuid=person.uuid)
    return _render(
        request, "privacy/person_erase.html", person, "person erasure page",
        {"form": form}, status=400 if form is not None and form.is_bound else 200,
        references=references,
    )  # fmt: skip
