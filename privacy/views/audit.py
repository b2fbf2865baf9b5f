"""The audit viewer: the scheme's trail, a person's and a user's history, unusual access.

The data protection officer's pages only (anyone else gets 404). Each page
writes its own audit row naming the people it shows, and each download an
EXPORT row naming the people in the file: the viewer is audited like any page.
"""

from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.models import AuditEvent, User
from accounts.services import audit_view
from referrals.models import Person
from referrals.selectors import get_person_for_data_protection

from ..exports import audit as exports
from ..forms import AuditFilterForm, AuditPeriodForm, FindPersonForm, UnusualFilterForm
from ..selectors import audit as selectors
from ..services.audit import audit_trail_export
from .common import AuthenticatedHttpRequest, csv_response, dpo_or_404

PAGE_SIZE = 50


def _query_without_page(request: AuthenticatedHttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _filename(kind: str) -> str:
    return f"audit-{kind}-{timezone.localdate():%Y-%m-%d}.csv"


def _events(dpo: User, form: AuditPeriodForm, **fixed: Any) -> QuerySet[AuditEvent]:
    """The trail the form asks for; nothing while the form has errors (never the unfiltered one)."""
    if not form.is_valid():
        return AuditEvent.objects.none()
    return selectors.audit_trail_for(dpo, **{**form.criteria(), **fixed})


def _render_trail(
    request: AuthenticatedHttpRequest,
    *,
    template: str,
    what: str,
    dpo: User,
    events: QuerySet[AuditEvent],
    context: dict[str, Any],
    also_shown: list[Person] | None = None,
    status: int = 200,
) -> HttpResponse:
    """One page of a trail, audited as one view naming everyone on it."""
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.audit_rows(dpo, page.object_list)
    audit_view(
        actor=dpo,
        what=what,
        people=[*(also_shown or []), *selectors.people_shown(rows)],
        records=selectors.records_shown(rows),
        request=request,
    )
    return render(
        request,
        template,
        {"page": page, "rows": rows, "query": _query_without_page(request), **context},
        status=status,
    )


def _export(request: AuthenticatedHttpRequest, *, dpo: User, events: QuerySet[AuditEvent],
            what: str, kind: str) -> HttpResponse:  # fmt: skip
    rows = selectors.all_audit_rows(dpo, events)
    content = exports.trail_csv(rows)
    audit_trail_export(
        actor=dpo,
        what=f"{what}: {len(rows)} events",
        people=selectors.people_shown(rows),
        records=selectors.records_shown(rows),
        request=request,
    )
    return csv_response(content, name=_filename(kind))


# The scheme's trail -----------------------------------------------------------------


def _trail(request: AuthenticatedHttpRequest, *, status: int = 200) -> HttpResponse:
    dpo = dpo_or_404(request)
    form = AuditFilterForm(request.GET, dpo=dpo)
    finder = FindPersonForm(request.GET if "find" in request.GET else None)
    found = selectors.find_people(dpo, finder.cleaned_data["find"]) if finder.is_valid() else []
    return _render_trail(
        request,
        template="privacy/audit.html",
        what="audit trail",
        dpo=dpo,
        events=_events(dpo, form),
        context={"form": form, "finder": finder, "found": found},
        also_shown=found,
        status=status,
    )


@login_required
@require_GET
def trail(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _trail(request)


@login_required
@require_GET
def trail_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    dpo = dpo_or_404(request)
    form = AuditFilterForm(request.GET, dpo=dpo)
    if not form.is_valid():
        # The page again, naming what is wrong, and no file.
        return _trail(request, status=400)
    return _export(request, dpo=dpo, events=_events(dpo, form), what="audit trail CSV",
                   kind="trail")  # fmt: skip


# Who looked at this person -----------------------------------------------------------


def _person_trail(
    request: AuthenticatedHttpRequest, person_uuid: UUID
) -> tuple[User, Person, AuditPeriodForm, QuerySet[AuditEvent]]:
    dpo = dpo_or_404(request)
    person = get_person_for_data_protection(dpo, person_uuid)
    form = AuditPeriodForm(request.GET)
    return dpo, person, form, _events(dpo, form, people=selectors.person_uuids(person))


@login_required
@require_GET
def person_trail(request: AuthenticatedHttpRequest, person_uuid: UUID) -> HttpResponse:
    dpo, person, form, events = _person_trail(request, person_uuid)
    return _render_trail(
        request,
        template="privacy/person_audit.html",
        what="audit trail of a person",
        dpo=dpo,
        events=events,
        context={"form": form, "person": person},
        also_shown=[person],
        status=200 if form.is_valid() else 400,
    )


@login_required
@require_GET
def person_trail_csv(request: AuthenticatedHttpRequest, person_uuid: UUID) -> HttpResponse:
    dpo, person, form, events = _person_trail(request, person_uuid)
    if not form.is_valid():
        return person_trail(request, person_uuid)
    return _export(request, dpo=dpo, events=events, what="audit trail of a person CSV",
                   kind="person")  # fmt: skip


# What this user looked at ------------------------------------------------------------


def _user_trail(
    request: AuthenticatedHttpRequest, user_uuid: UUID
) -> tuple[User, User, AuditPeriodForm, QuerySet[AuditEvent]]:
    dpo = dpo_or_404(request)
    target = selectors.get_audited_user(dpo, user_uuid)
    form = AuditPeriodForm(request.GET)
    return dpo, target, form, _events(dpo, form, actor=target)


@login_required
@require_GET
def user_trail(request: AuthenticatedHttpRequest, user_uuid: UUID) -> HttpResponse:
    dpo, target, form, events = _user_trail(request, user_uuid)
    return _render_trail(
        request,
        template="privacy/user_audit.html",
        what="audit trail of a user",
        dpo=dpo,
        events=events,
        context={
            "form": form,
            "target": target,
            "ours": selectors.scheme_users(dpo).filter(pk=target.pk).exists(),
        },
        status=200 if form.is_valid() else 400,
    )


@login_required
@require_GET
def user_trail_csv(request: AuthenticatedHttpRequest, user_uuid: UUID) -> HttpResponse:
    dpo, target, form, events = _user_trail(request, user_uuid)
    if not form.is_valid():
        return user_trail(request, user_uuid)
    return _export(request, dpo=dpo, events=events, what="audit trail of a user CSV",
                   kind="user")  # fmt: skip


# Unusual access ----------------------------------------------------------------------


def _unusual(
    request: AuthenticatedHttpRequest,
) -> tuple[User, UnusualFilterForm, selectors.UnusualAccess | None]:
    dpo = dpo_or_404(request)
    form = UnusualFilterForm(request.GET, dpo=dpo)
    report: selectors.UnusualAccess | None = None
    if form.is_valid():
        since, until = form.period()
        report = selectors.unusual_access_for(
            dpo, since=since, until=until, actor=form.cleaned_data.get("user")
        )
    return dpo, form, report


@login_required
@require_GET
def unusual(request: AuthenticatedHttpRequest) -> HttpResponse:
    dpo, form, report = _unusual(request)
    audit_view(actor=dpo, what="unusual access", request=request)
    start, end = selectors.working_hours()
    return render(
        request,
        "privacy/unusual.html",
        {
            "form": form,
            "report": report,
            "query": _query_without_page(request),
            "limit": settings.AUDIT_UNUSUAL_RECORDS_PER_DAY,
            "hours_start": f"{start:%H:%M}",
            "hours_end": f"{end:%H:%M}",
        },
        status=200 if report is not None else 400,
    )


@login_required
@require_GET
def unusual_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    dpo, form, report = _unusual(request)
    if report is None:
        return unusual(request)
    audit_trail_export(
        actor=dpo,
        what=f"unusual access CSV: {report.count} flagged days",
        people=[],
        records=[],
        request=request,
    )
    return csv_response(exports.unusual_csv(report.all), name=_filename("unusual"))
