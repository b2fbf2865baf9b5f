"""Connections to directory services, unmet needs and the social prescription."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import ApplicationError, ValidationError
from directory import selectors as directory_selectors
from referrals.models import ContactMethod

from .. import selectors, services
from ..forms import (
    ConnectionProposeForm,
    ConnectionSearchForm,
    ConnectionStopForm,
    UnmetNeedForm,
)
from ..models import LIVE_CONNECTION_STATUSES
from .common import back_to_connections, must_work_on, open_case, posted_version, render_case

CONNECTION_RESULTS = 20


def _search_results(form, home, connected_ids):
    """The case's search as compact cards: nearest the person's home first when asked."""
    near = home if form.cleaned_data["nearby"] else None
    found = directory_selectors.services_search(
        q=form.cleaned_data["q"], category=form.cleaned_data["category"], near=near
    )[:CONNECTION_RESULTS]
    return selectors.search_results_for_case(found, home=home, connected_ids=connected_ids)


def _chosen_service(request, propose_form):
    """The result whose note box is open: ?service=<uuid>, or the one a refused proposal named."""
    raw = propose_form.data.get("service") if propose_form is not None else None
    try:
        return UUID(raw or request.GET.get("service", ""))
    except ValueError:
        return None


def _render_connections(request, referral, *, propose_form=None, need_form=None, status=200):
    categories = directory_selectors.search_categories()
    search = ConnectionSearchForm(request.GET or None, categories=categories)
    connections = list(selectors.connections_for_case(referral))
    connected_ids = {c.service_id for c in connections if c.status in LIVE_CONNECTION_STATUSES}
    results, home_unknown = None, ""
    if search.is_bound and search.is_valid():
        home, home_unknown = selectors.home_of(referral.person)
        results = _search_results(search, home, connected_ids)
    # The search stays in the proposal's address, so a refused note comes back in its card.
    search_query = request.GET.copy()
    search_query.pop("service", None)
    return render_case(
        request, referral, "connections", "linkworkers/connections.html",
        {
            "search": search,
            "results": results,
            "numbered": [(result.number, result.service) for result in results or []],
            "home_unknown": home_unknown,
            "chosen_service": _chosen_service(request, propose_form),
            "search_query": search_query.urlencode(),
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
    return _render_connections(request, open_case(request, referral_uuid))


@login_required
@require_POST
def connection_propose(request, referral_uuid):
    referral = open_case(request, referral_uuid)
    must_work_on(request, referral)
    form = ConnectionProposeForm(request.POST)
    if not form.is_valid():
        return _render_connections(request, referral, propose_form=form, status=400)
    service = directory_selectors.active_service(form.cleaned_data["service"])
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
        return back_to_connections(referral)
    messages.success(request, _("Connection saved."))
    return back_to_connections(referral)


@login_required
@require_POST
def connection_refer(request, referral_uuid, connection_uuid):
    referral = open_case(request, referral_uuid)
    must_work_on(request, referral)
    connection = selectors.get_case_connection(referral, connection_uuid)
    try:
        services.connection_refer(connection=connection, actor=request.user,
                                  expected_version=posted_version(request))  # fmt: skip
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Referred: the provider has been told."))
    return back_to_connections(referral)


@login_required
@require_POST
def connection_stop(request, referral_uuid, connection_uuid):
    referral = open_case(request, referral_uuid)
    must_work_on(request, referral)
    connection = selectors.get_case_connection(referral, connection_uuid)
    form = ConnectionStopForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the connection stops."))
        return back_to_connections(referral)
    try:
        services.connection_stop(connection=connection, actor=request.user,
                                 reason=form.cleaned_data["reason"],
                                 expected_version=form.cleaned_data["version"])  # fmt: skip
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Connection stopped."))
    return back_to_connections(referral)


@login_required
@require_POST
def unmet_need(request, referral_uuid):
    referral = open_case(request, referral_uuid)
    must_work_on(request, referral)
    form = UnmetNeedForm(request.POST, categories=directory_selectors.search_categories())
    if form.is_valid():
        try:
            services.unmet_need_record(referral=referral, actor=request.user, request=request,
                                       **form.cleaned_data)  # fmt: skip
        except ValidationError as error:
            form.add_service_errors(error.field_errors)
        except ApplicationError as error:
            messages.error(request, error.message)
            return back_to_connections(referral)
        else:
            messages.success(request, _("Unmet need recorded."))
            return back_to_connections(referral)
    return _render_connections(request, referral, need_form=form, status=400)


@login_required
@require_GET
def prescription(request, referral_uuid):
    referral = open_case(request, referral_uuid)
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
                "notify_channel": services.prescription_channel(referral),
                "person_messages": selectors.person_messages_for(referral),
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
    referral = open_case(request, referral_uuid)
    must_work_on(request, referral)
    try:
        services.prescription_email_send(referral=referral, actor=request.user, request=request)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The social prescription is on its way by email."))
    return redirect("linkworkers:prescription", referral_uuid=referral.uuid)


@login_required
@require_POST
def prescription_text(request, referral_uuid):
    referral = open_case(request, referral_uuid)
    must_work_on(request, referral)
    try:
        services.prescription_text_send(referral=referral, actor=request.user, request=request)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The social prescription is on its way by text message."))
    return redirect("linkworkers:prescription", referral_uuid=referral.uuid)
