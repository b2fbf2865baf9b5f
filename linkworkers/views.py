"""The caseload and the case workspace: parse, call a selector or service, render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import AuditEvent, Role
from accounts.services import audit_record
from core.exceptions import ApplicationError, StaleVersion, ValidationError
from directory import postcodes
from directory import selectors as directory_selectors
from referrals import services as referrals_services
from referrals.models import ClosureReason, ContactMethod, Status
from referrals.selectors import allowed_moves_for
from referrals.services import referral_view_record

from . import selectors, services
from .forms import (
    CaseloadFilterForm,
    CloseForm,
    ConnectionAttendanceForm,
    ConnectionDeclineForm,
    ConnectionProposeForm,
    ConnectionSearchForm,
    ConnectionStopForm,
    ContactForm,
    GoalForm,
    GoalUpdateForm,
    OutcomeForm,
    PeerNavigatorForm,
    ReassignForm,
    ReopenForm,
    SupervisionNoteForm,
    UnmetNeedForm,
    WhatMattersForm,
)
from .home import provider_rows
from .models import CLOSURE_PART_LIMIT, LIVE_CONNECTION_STATUSES, Goal, GoalStatus, Timepoint


@login_required
@require_GET
def caseload(request):
    if request.user.role not in selectors.CASE_ROLES:
        raise PermissionDenied
    filters = CaseloadFilterForm(request.GET or None, user=request.user)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    cases = selectors.caseload_for(request.user, **criteria)
    # The list shows people's names: the read is audited once, as one view.
    audit_record(
        actor=request.user, action=AuditEvent.Action.VIEW, request=request,
        detail=f"caseload: {len(cases.rows)} of {cases.open_cases} open cases",
    )  # fmt: skip
    return render(
        request,
        "linkworkers/caseload.html",
        {"filters": filters, "caseload": cases, "today": timezone.localdate()},
    )


def _open_case(request, referral_uuid):
    """The case through the one access helper, with the read audited."""
    referral = selectors.get_case_for(request.user, referral_uuid)
    referral_view_record(referral=referral, actor=request.user, request=request)
    return referral


def _must_work_on(request, referral):
    if not selectors.can_work_on(request.user, referral):
        raise PermissionDenied


def _render_case(request, referral, tab, template, context, status=200):
    today = timezone.localdate()
    context = {
        "referral": referral,
        "tab": tab,
        "age": selectors.age_on(referral.person.date_of_birth, today),
        "can_work": selectors.can_work_on(request.user, referral),
        "today": today,
        **context,
    }
    return render(request, template, context, status=status)


# Overview and contacts -------------------------------------------------------


def _render_overview(request, referral, contact_form=None, status=200):
    contacts = list(selectors.contacts_for(referral))
    if contact_form is None:
        contact_form = ContactForm(initial={"happened_at": timezone.now()})
    return _render_case(
        request, referral, "overview", "linkworkers/case_overview.html",
        {
            "contacts": contacts,
            "contact_form": contact_form,
            "propose_unable_to_contact": referral.is_open
            and selectors.unable_to_contact_due(contacts),
            "unable_to_contact": ClosureReason.UNABLE_TO_CONTACT,
            "unable_rule": {
                "attempts": settings.UNABLE_TO_CONTACT_ATTEMPTS,
                "days": settings.UNABLE_TO_CONTACT_MIN_DAYS,
            },
        },
        status=status,
    )  # fmt: skip


@login_required
@require_GET
def case_overview(request, referral_uuid):
    return _render_overview(request, _open_case(request, referral_uuid))


@login_required
@require_POST
def contact_log(request, referral_uuid):
    referral = _open_case(request, referral_uuid)
    _must_work_on(request, referral)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            services.contact_log(referral=referral, actor=request.user, request=request,
                                 **form.cleaned_data)  # fmt: skip
        except ValidationError as error:
            form.add_service_errors(error.field_errors)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("linkworkers:case", referral_uuid=referral.uuid)
        else:
            messages.success(request, _("Contact recorded."))
            return redirect("linkworkers:case", referral_uuid=referral.uuid)
    return _render_overview(request, referral, contact_form=form)


# What matters and the plan ---------------------------------------------------


def _goal_forms(goals, bound=None):
    forms = []
    for goal in goals:
        if bound and bound[0] == goal.pk:
            form = bound[1]
        else:
            form = GoalUpdateForm(
                prefix=str(goal.uuid),
                initial={
                    "status": goal.status,
                    "progress_notes": goal.progress_notes,
                    "target_date": goal.target_date,
                },
            )
        forms.append((goal, form))
    return forms


def _render_what_matters(request, referral, *, form=None, goal_form=None, bound_goal=None,
                         stale=None):  # fmt: skip
    record = selectors.what_matters_for(referral)
    if form is None:
        initial = {"version": record.version if record else 0}
        if record:
            initial.update(what_matters=record.what_matters, strengths=record.strengths,
                           want_to_change=record.want_to_change)  # fmt: skip
        form = WhatMattersForm(initial=initial)
    return _render_case(
        request, referral, "what_matters", "linkworkers/case_what_matters.html",
        {
            "record": record,
            "stale": stale,
            "form": form,
            "goal_form": goal_form or GoalForm(prefix="goal"),
            "goals": _goal_forms(selectors.goals_for(referral), bound_goal),
        },
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def what_matters(request, referral_uuid):
    referral = _open_case(request, referral_uuid)
    if request.method == "GET":
        return _render_what_matters(request, referral)
    _must_work_on(request, referral)
    form = WhatMattersForm(request.POST)
    stale = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.what_matters_save(
                referral=referral, actor=request.user, request=request,
                expected_version=data["version"], what_matters=data["what_matters"],
                strengths=data["strengths"], want_to_change=data["want_to_change"],
            )  # fmt: skip
        except ValidationError as error:
            form.add_service_errors(error.field_errors)
        except StaleVersion as error:
            # Keep what they typed beside the version saved meanwhile; saving
            # again is then a choice made having seen it.
            stale = error.message
            record = selectors.what_matters_for(referral)
            data = request.POST.copy()
            data["version"] = record.version if record else 0
            form = WhatMattersForm(data)
            form.is_valid()
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("linkworkers:what_matters", referral_uuid=referral.uuid)
        else:
            messages.success(request, _("What matters saved."))
            return redirect("linkworkers:what_matters", referral_uuid=referral.uuid)
    return _render_what_matters(request, referral, form=form, stale=stale)


@login_required
@require_POST
def goal_add(request, referral_uuid):
    referral = _open_case(request, referral_uuid)
    _must_work_on(request, referral)
    form = GoalForm(request.POST, prefix="goal")
    if form.is_valid():
        try:
            services.goal_add(referral=referral, actor=request.user, request=request,
                              **form.cleaned_data)  # fmt: skip
        except ValidationError as error:
            form.add_service_errors(error.field_errors)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("linkworkers:what_matters", referral_uuid=referral.uuid)
        else:
            messages.success(request, _("Goal added to the plan."))
            return redirect("linkworkers:what_matters", referral_uuid=referral.uuid)
    return _render_what_matters(request, referral, goal_form=form)


@login_required
@require_POST
def goal_update(request, referral_uuid, goal_uuid):
    referral = _open_case(request, referral_uuid)
    try:
        goal = Goal.objects.select_related("referral").get(uuid=goal_uuid, referral=referral)
    except Goal.DoesNotExist:
        raise Http404 from None
    _must_work_on(request, referral)
    form = GoalUpdateForm(request.POST, prefix=str(goal.uuid))
    if form.is_valid():
        try:
            services.goal_update(goal=goal, actor=request.user, request=request,
                                 **form.cleaned_data)  # fmt: skip
        except ValidationError as error:
            form.add_service_errors(error.field_errors)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("linkworkers:what_matters", referral_uuid=referral.uuid)
        else:
            messages.success(request, _("Goal updated."))
            return redirect("linkworkers:what_matters", referral_uuid=referral.uuid)
    return _render_what_matters(request, referral, bound_goal=(goal.pk, form))


# Closure ---------------------------------------------------------------------


def _close_initial(request, referral):
    record = selectors.what_matters_for(referral)
    reason = request.GET.get("reason", "")
    goals = selectors.goals_for(referral).filter(status=GoalStatus.ACHIEVED)
    return {
        "version": referral.version,
        "reason": reason if reason in ClosureReason.values else "",
        "what_mattered": (record.what_matters if record else referral.what_matters)[
            :CLOSURE_PART_LIMIT
        ],
        "outcomes": "; ".join(goal.description for goal in goals)[:CLOSURE_PART_LIMIT],
        "connected_to": selectors.connected_to_text(referral)[:CLOSURE_PART_LIMIT],
    }


def _render_close(request, referral, *, form=None, reopen_form=None):
    moves = allowed_moves_for(request.user, referral)
    may_close = Status.CLOSED in moves
    may_reopen = referral.status == Status.CLOSED and Status.IN_PROGRESS in moves
    if may_close and form is None:
        form = CloseForm(initial=_close_initial(request, referral))
    if may_reopen and reopen_form is None:
        reopen_form = ReopenForm(initial={"version": referral.version})
    return _render_case(
        request, referral, "close", "linkworkers/case_close.html",
        {
            "form": form if may_close else None,
            "reopen_form": reopen_form if may_reopen else None,
            "closure": referral.closure_summaries.select_related("written_by").first()
            if referral.status == Status.CLOSED
            else None,
        },
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def case_close(request, referral_uuid):
    referral = _open_case(request, referral_uuid)
    if request.method == "GET":
        return _render_close(request, referral)
    form = CloseForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            referral = services.case_close(
                referral=referral, actor=request.user, request=request,
                expected_version=data.pop("version"), **data,
            )  # fmt: skip
        except ValidationError as error:
            form.add_service_errors(error.field_errors)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("linkworkers:close", referral_uuid=referral.uuid)
        else:
            messages.success(request, _("The case is closed."))
            return redirect("linkworkers:close", referral_uuid=referral.uuid)
    return _render_close(request, referral, form=form)


@login_required
@require_POST
def case_reopen(request, referral_uuid):
    referral = _open_case(request, referral_uuid)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            referral = services.case_reopen(
                referral=referral, actor=request.user, request=request,
                expected_version=form.cleaned_data["version"], note=form.cleaned_data["note"],
            )  # fmt: skip
        except ValidationError as error:
            form.add_service_errors(error.field_errors)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("linkworkers:close", referral_uuid=referral.uuid)
        else:
            messages.success(request, _("The case is open again."))
            return redirect("linkworkers:case", referral_uuid=referral.uuid)
    return _render_close(request, referral, reopen_form=form)


@login_required
@require_GET
def outcomes(request, referral_uuid):
    referral = selectors.case_for_user(request.user, referral_uuid)
    services.outcome_view_record(referral=referral, actor=request.user, request=request)
    results = selectors.outcomes_for_case(referral)
    return _render_case(
        request,
        referral,
        "outcomes",
        "linkworkers/outcomes.html",
        {"results": results, "choices": selectors.outcome_choices_for_case(referral, results)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def outcome_record(request, referral_uuid, instrument_code, timepoint):
    referral = selectors.case_for_user(request.user, referral_uuid)
    if timepoint not in Timepoint.values:
        raise Http404
    instrument = selectors.get_instrument_for_case(referral, instrument_code)
    services.outcome_view_record(referral=referral, actor=request.user, request=request)
    form = OutcomeForm(request.POST or None, instrument=instrument)
    if request.method == "POST" and form.is_valid():
        try:
            services.outcome_record(
                referral=referral,
                instrument=instrument,
                timepoint=timepoint,
                answers=form.answers(),
                answered_on=form.cleaned_data["answered_on"],
                actor=request.user,
                request=request,
            )
        except ValidationError as error:
            form.add_service_errors(error.field_errors)
            if not error.field_errors:
                form.add_error(None, error.message)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("%(instrument)s (%(timepoint)s) recorded.")
                % {
                    "instrument": instrument.display_name,
                    "timepoint": Timepoint(timepoint).label.lower(),
                },
            )
            return redirect("linkworkers:outcomes", referral_uuid=referral.uuid)
    return _render_case(
        request,
        referral,
        "outcomes",
        "linkworkers/outcome_record.html",
        {"instrument": instrument, "timepoint": Timepoint(timepoint), "form": form},
    )


# The coordinator side: the team, reassigning, the waiting list ----------------


def _must_coordinate(request):
    if request.user.role != Role.COORDINATOR or not request.user.organisation_id:
        raise PermissionDenied


@login_required
@require_GET
def team(request):
    _must_coordinate(request)
    rows = selectors.team_for(request.user)
    audit_record(
        actor=request.user, action=AuditEvent.Action.VIEW, request=request,
        detail=f"team: {len(rows)} link workers",
    )  # fmt: skip
    return render(
        request, "linkworkers/team.html", {"rows": rows, "statuses": selectors.team_statuses()}
    )


@login_required
@require_GET
def waiting_list(request):
    _must_coordinate(request)
    rows = selectors.waiting_list_for(request.user)
    audit_record(
        actor=request.user, action=AuditEvent.Action.VIEW, request=request,
        detail=f"waiting list: {len(rows)} referrals",
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
    return _render_case(
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
    return _render_people(request, _open_case(request, referral_uuid))


@login_required
@require_POST
def case_reassign(request, referral_uuid):
    referral = _open_case(request, referral_uuid)
    _must_coordinate(request)
    form = ReassignForm(
        request.POST, choices=selectors.reassign_choices_for(request.user, referral)
    )
    if form.is_valid():
        try:
            referral = referrals_services.referral_reassign(
                referral=referral, actor=request.user,
                link_worker=form.cleaned_data["link_worker"],
                expected_version=form.cleaned_data["version"],
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
    referral = _open_case(request, referral_uuid)
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
    referral = _open_case(request, referral_uuid)
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


# Supervision notes ---------------------------------------------------------------


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
    audit_record(
        actor=request.user, action=AuditEvent.Action.VIEW, request=request,
        detail=f"supervision notes of user {supervisee.pk}: {len(notes)}",
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


# The peer navigator's limited view -------------------------------------------------


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


CONNECTION_RESULTS = 20


def _search_results(referral, form, notes):
    """Directory services for the case's search, nearest the person's home when asked."""
    if not form.is_bound or not form.is_valid():
        return None
    near = None
    if form.cleaned_data["nearby"]:
        try:
            near = postcodes.lookup(referral.person.postcode)
        except postcodes.PostcodeError as error:
            notes.append(str(error))
    found = list(
        directory_selectors.services_search(
            q=form.cleaned_data["q"], category=form.cleaned_data["category"], near=near
        ).select_related("reviewed_by")[:CONNECTION_RESULTS]
    )
    latest = directory_selectors.service_latest_checks(service.pk for service in found)
    for service in found:
        service.latest_check = latest.get(service.pk)
        service.distance_km = (
            round(service.distance_m / 1000, 1) if getattr(service, "distance_m", None) else None
        )
    return found


def _render_connections(request, referral, *, propose_form=None, need_form=None, status=200):
    categories = directory_selectors.search_categories()
    search = ConnectionSearchForm(request.GET or None, categories=categories)
    notes = []
    connections = list(selectors.connections_for_case(referral))
    return _render_case(
        request, referral, "connections", "linkworkers/connections.html",
        {
            "search": search,
            "results": _search_results(referral, search, notes),
            "search_notes": notes,
            "connected_service_ids": {
                c.service_id for c in connections if c.status in LIVE_CONNECTION_STATUSES
            },
            "connections": connections,
            "history": selectors.connection_events_for_case(referral),
            "unmet_needs": selectors.unmet_needs_for_case(referral),
            "propose_form": propose_form,
            "need_form": need_form or UnmetNeedForm(categories=categories),
        },
        status=status,
    )  # fmt: skip


@login_required
@require_GET
def connections(request, referral_uuid):
    return _render_connections(request, _open_case(request, referral_uuid))


def _back_to_connections(referral):
    return redirect("linkworkers:connections", referral_uuid=referral.uuid)


@login_required
@require_POST
def connection_propose(request, referral_uuid):
    referral = _open_case(request, referral_uuid)
    _must_work_on(request, referral)
    form = ConnectionProposeForm(request.POST)
    if not form.is_valid():
        return _render_connections(request, referral, propose_form=form, status=400)
    service = (
        directory_selectors.services_search().filter(uuid=form.cleaned_data["service"]).first()
    )
    try:
        connection = services.connection_propose(
            referral=referral, actor=request.user, service=service, request=request,
            note_for_provider=form.cleaned_data["note_for_provider"],
        )  # fmt: skip
        if form.cleaned_data["refer"]:
            services.connection_refer(connection=connection, actor=request.user)
    except ValidationError as error:
        form.add_service_errors(error.field_errors)
        return _render_connections(request, referral, propose_form=form, status=400)
    except ApplicationError as error:
        messages.error(request, error.message)
        return _back_to_connections(referral)
    messages.success(request, _("Connection saved."))
    return _back_to_connections(referral)


@login_required
@require_POST
def connection_refer(request, referral_uuid, connection_uuid):
    referral = _open_case(request, referral_uuid)
    _must_work_on(request, referral)
    connection = selectors.get_case_connection(referral, connection_uuid)
    try:
        services.connection_refer(connection=connection, actor=request.user,
                                  expected_version=_version(request))  # fmt: skip
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Referred: the provider has been told."))
    return _back_to_connections(referral)


def _version(request):
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@login_required
@require_POST
def connection_stop(request, referral_uuid, connection_uuid):
    referral = _open_case(request, referral_uuid)
    _must_work_on(request, referral)
    connection = selectors.get_case_connection(referral, connection_uuid)
    form = ConnectionStopForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the connection stops."))
        return _back_to_connections(referral)
    try:
        services.connection_stop(connection=connection, actor=request.user,
                                 reason=form.cleaned_data["reason"],
                                 expected_version=form.cleaned_data["version"])  # fmt: skip
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Connection stopped."))
    return _back_to_connections(referral)


@login_required
@require_POST
def unmet_need(request, referral_uuid):
    referral = _open_case(request, referral_uuid)
    _must_work_on(request, referral)
    form = UnmetNeedForm(request.POST, categories=directory_selectors.search_categories())
    if form.is_valid():
        try:
            services.unmet_need_record(referral=referral, actor=request.user, request=request,
                                       **form.cleaned_data)  # fmt: skip
        except ValidationError as error:
            form.add_service_errors(error.field_errors)
        except ApplicationError as error:
            messages.error(request, error.message)
            return _back_to_connections(referral)
        else:
            messages.success(request, _("Unmet need recorded."))
            return _back_to_connections(referral)
    return _render_connections(request, referral, need_form=form, status=400)


@login_required
@require_GET
def prescription(request, referral_uuid):
    referral = _open_case(request, referral_uuid)
    person = referral.person
    # The person reads it: their language, whatever the link worker's.
    with translation.override(person.preferred_language):
        prescription = selectors.prescription_for(referral)
        return render(
            request,
            "linkworkers/prescription.html",
            {
                "referral": referral,
                "person": person,
                "can_work": selectors.can_work_on(request.user, referral),
                "can_email": person.contact_method == ContactMethod.EMAIL and bool(person.email),
                "by_text": person.contact_method == ContactMethod.TEXT,
                "page_language": person.preferred_language,
                "text_version": selectors.prescription_text(
                    referral=referral, prescription=prescription
                ),
                **prescription,
            },
        )


@login_required
@require_POST
def prescription_email(request, referral_uuid):
    referral = _open_case(request, referral_uuid)
    _must_work_on(request, referral)
    try:
        services.prescription_email_send(referral=referral, actor=request.user, request=request)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The social prescription is on its way by email."))
    return redirect("linkworkers:prescription", referral_uuid=referral.uuid)


@login_required
@require_GET
def provider_connections(request):
    if request.user.role != Role.PROVIDER:
        raise Http404
    rows = list(selectors.connections_for_provider(request.user))
    audit_record(actor=request.user, action=AuditEvent.Action.VIEW, request=request,
                 detail=f"provider connections: {len(rows)}")  # fmt: skip
    return render(request, "linkworkers/provider_connections.html", {"rows": provider_rows(rows)})


def _provider_answer(request, connection_uuid, answer):
    connection = selectors.get_connection_for_provider(request.user, connection_uuid)
    try:
        answer(connection)
    except ValidationError as error:
        for problems in error.field_errors.values():
            for problem in problems:
                messages.error(request, problem)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Thank you: the link worker has been told."))
    return redirect("providers:connections")


@login_required
@require_POST
def provider_accept(request, connection_uuid):
    def answer(connection):
        services.connection_accept(
            connection=connection, actor=request.user, expected_version=_version(request)
        )

    return _provider_answer(request, connection_uuid, answer)


@login_required
@require_POST
def provider_decline(request, connection_uuid):
    form = ConnectionDeclineForm(request.POST, prefix=f"d-{connection_uuid}")
    form.is_valid()
    data = form.cleaned_data

    def answer(connection):
        services.connection_decline(
            connection=connection,
            actor=request.user,
            reason=data.get("reason", ""),
            details=data.get("details", ""),
            expected_version=data.get("version"),
        )

    return _provider_answer(request, connection_uuid, answer)


@login_required
@require_POST
def provider_attendance(request, connection_uuid):
    form = ConnectionAttendanceForm(request.POST, prefix=f"a-{connection_uuid}")
    form.is_valid()
    data = form.cleaned_data

    def answer(connection):
        services.connection_record_attendance(
            connection=connection,
            actor=request.user,
            attendance=data.get("attendance", ""),
            note=data.get("note", ""),
            expected_version=data.get("version"),
        )

    return _provider_answer(request, connection_uuid, answer)
