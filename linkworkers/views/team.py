"""Coordination: the team, waiting list, allocation, reassignment, peer navigators, supervision."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role
from accounts.services import audit_view
from core.exceptions import ApplicationError, ValidationError
from referrals import selectors as referrals_selectors
from referrals.models import Status
from referrals.selectors import allowed_moves_for
from referrals.services import referral_view_record, referrals_view_record

from .. import selectors, services
from ..forms import (
    AllocateForm,
    ContactForm,
    PeerNavigatorForm,
    ReassignForm,
    SupervisionNoteForm,
)
from .common import must_coordinate, open_case, render_case


@login_required
@require_GET
def team(request):
    must_coordinate(request)
    rows = selectors.team_for(request.user)
    # Counts of each link worker's cases, naming no one: the row says the page was read.
    audit_view(actor=request.user, what=f"team: {len(rows)} link workers", request=request)
    return render(
        request, "linkworkers/team.html", {"rows": rows, "statuses": selectors.team_statuses()}
    )


@login_required
@require_GET
def waiting_list(request):
    must_coordinate(request)
    rows = selectors.waiting_list_for(request.user)
    referrals_view_record(
        referrals=[row.referral for row in rows], actor=request.user, request=request,
        what=f"waiting list: {len(rows)} referrals",
    )  # fmt: skip
    return render(request, "linkworkers/waiting_list.html", {"rows": rows})


def _render_people(request, referral, *, reassign_form=None, peer_form=None, status=200):
    if reassign_form is None and request.user.role == Role.COORDINATOR and referral.is_open:
        reassign_form = ReassignForm(
            initial={"version": referral.version},
            choices=selectors.reassign_choices_for(request.user, referral),
        )
    may_attach = referral.is_open and selectors.may_attach_peer(request.user, referral)
    if peer_form is None and may_attach:
        peer_form = PeerNavigatorForm(choices=selectors.peer_navigator_choices_for(referral))
    return render_case(
        request, referral, "people", "linkworkers/case_people.html",
        {
            "peers": selectors.peer_navigators_on(referral),
            "may_attach": may_attach,
            "reassign_form": reassign_form,
            "peer_form": peer_form if may_attach else None,
        },
        status=status,
    )  # fmt: skip


@login_required
@require_GET
def case_people(request, referral_uuid):
    return _render_people(request, open_case(request, referral_uuid))


@login_required
@require_http_methods(["GET", "POST"])
def allocate(request, referral_uuid):
    """A coordinator gives an accepted referral to a link worker, choosing from the candidates."""
    referral = referrals_selectors.get_referral_for(request.user, referral_uuid)
    if Status.ALLOCATED not in allowed_moves_for(request.user, referral):
        raise Http404
    referral_view_record(referral=referral, actor=request.user, request=request)
    candidates = selectors.link_worker_candidates(referral=referral)
    suggestion = selectors.suggested_link_worker(candidates)
    form = AllocateForm(request.POST or None, prefix="allocate", scheme_id=referral.scheme_id)
    if request.method == "GET":
        form.initial = {"version": referral.version}
        if suggestion:
            form.initial["link_worker"] = suggestion.user.pk
    elif form.is_valid():
        try:
            referral = services.referral_allocate(
                referral=referral, actor=request.user, request=request,
                link_worker=form.cleaned_data["link_worker"],
                expected_version=form.cleaned_data["version"],
            )  # fmt: skip
        except ValidationError as error:
            form.add_service_errors(error.field_errors)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("referrals:detail", referral_uuid=referral.uuid)
        else:
            messages.success(
                request,
                _("Referral %(ref)s is now %(status)s.")
                % {"ref": referral.reference, "status": referral.get_status_display()},
            )
            return redirect("referrals:triage")
    return render(
        request,
        "linkworkers/allocate.html",
        {"referral": referral, "form": form, "candidates": candidates, "suggestion": suggestion},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
def case_reassign(request, referral_uuid):
    referral = open_case(request, referral_uuid)
    must_coordinate(request)
    form = ReassignForm(
        request.POST, choices=selectors.reassign_choices_for(request.user, referral)
    )
    if form.is_valid():
        try:
            referral = services.referral_reassign(
                referral=referral, actor=request.user,
                link_worker=form.cleaned_data["link_worker"],
                expected_version=form.cleaned_data["version"], request=request,
            )  # fmt: skip
        except ValidationError as error:
            form.add_service_errors(error.field_errors)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("linkworkers:people", referral_uuid=referral.uuid)
        else:
            messages.success(
                request,
                _("The case is now held by %(name)s.") % {"name": referral.link_worker},
            )
            return redirect("linkworkers:people", referral_uuid=referral.uuid)
    return _render_people(request, referral, reassign_form=form, status=400)


@login_required
@require_POST
def peer_navigator_add(request, referral_uuid):
    referral = open_case(request, referral_uuid)
    if not selectors.may_attach_peer(request.user, referral):
        raise PermissionDenied
    form = PeerNavigatorForm(request.POST, choices=selectors.peer_navigator_choices_for(referral))
    if form.is_valid():
        try:
            services.peer_navigator_attach(
                referral=referral, actor=request.user, request=request,
                peer_navigator=form.cleaned_data["peer_navigator"],
            )  # fmt: skip
        except ValidationError as error:
            form.add_service_errors(error.field_errors)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("linkworkers:people", referral_uuid=referral.uuid)
        else:
            messages.success(request, _("Peer navigator added to the case."))
            return redirect("linkworkers:people", referral_uuid=referral.uuid)
    return _render_people(request, referral, peer_form=form, status=400)


@login_required
@require_POST
def peer_navigator_remove(request, referral_uuid, user_uuid):
    referral = open_case(request, referral_uuid)
    assignment = selectors.peer_navigators_on(referral).filter(user__uuid=user_uuid).first()
    if assignment is None:
        raise Http404
    if not selectors.may_attach_peer(request.user, referral):
        raise PermissionDenied
    try:
        services.peer_navigator_detach(assignment=assignment, actor=request.user, request=request)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Peer navigator removed from the case."))
    return redirect("linkworkers:people", referral_uuid=referral.uuid)


def _supervision_page(request, supervisee):
    cases = selectors.supervision_cases_for(supervisee)
    form = SupervisionNoteForm(request.POST or None, cases=cases)
    if request.method == "POST" and form.is_valid():
        try:
            services.supervision_note_add(
                link_worker=supervisee, author=request.user, request=request,
                text=form.cleaned_data["text"], referral=form.cleaned_data["referral"],
            )  # fmt: skip
        except ValidationError as error:
            form.add_service_errors(error.field_errors)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Supervision note saved."))
            return redirect(request.path)
    notes = list(selectors.supervision_notes_for(request.user, supervisee))
    # The notes name people, and so does the choice of case for a new note (one query
    # more for those, whatever their number: the form's choices query the cases again).
    referrals_view_record(
        referrals=[*(note.referral for note in notes if note.referral), *cases],
        actor=request.user, request=request,
        what=f"supervision notes of user {supervisee.pk}: {len(notes)}",
    )  # fmt: skip
    return render(
        request,
        "linkworkers/supervision.html",
        {"supervisee": supervisee, "notes": notes, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def supervision_own(request):
    if request.user.role != Role.LINK_WORKER:
        raise PermissionDenied
    return _supervision_page(request, request.user)


@login_required
@require_http_methods(["GET", "POST"])
def supervision_for(request, user_uuid):
    return _supervision_page(request, selectors.supervisee_for(request.user, user_uuid))


def _render_peer_case(request, referral, contact_form=None, status=200):
    contacts = list(selectors.contacts_for(referral))
    return render(
        request, "linkworkers/peer_case.html",
        {
            "referral": referral,
            "contacts": contacts,
            "goals": selectors.goals_for(referral),
            "contact_form": contact_form or ContactForm(initial={"happened_at": timezone.now()}),
        },
        status=status,
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def peer_case(request, referral_uuid):
    referral = selectors.get_peer_case_for(request.user, referral_uuid)
    referral_view_record(referral=referral, actor=request.user, request=request)
    if request.method == "GET":
        return _render_peer_case(request, referral)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            services.contact_log(referral=referral, actor=request.user, request=request,
                                 **form.cleaned_data)  # fmt: skip
        except ValidationError as error:
            form.add_service_errors(error.field_errors)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("linkworkers:peer_case", referral_uuid=referral.uuid)
        else:
            messages.success(request, _("Contact recorded."))
            return redirect("linkworkers:peer_case", referral_uuid=referral.uuid)
    return _render_peer_case(request, referral, contact_form=form, status=400)
