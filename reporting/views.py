"""Dashboards and exports: parse the filters, read the cubes through the selectors, render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import AuditEvent
from accounts.services import audit_record
from core.replica import replica_reads

from . import exports, gp_extract, selectors, services
from .forms import DashboardFilterForm
from .gp_forms import GPExtractForm
from .models import RollupRun


def _scope_or_403(request):
    scope = selectors.reporting_scope_for(request.user)
    if scope is None:
        raise PermissionDenied
    return scope


@login_required
@require_GET
def dashboard(request):
    scope = _scope_or_403(request)
    form = DashboardFilterForm(request.GET or None, scope=scope)
    filters = form.filters()
    # Figures older than the incremental interval start a run by themselves: the page shows
    # its progress (or, with Celery eager, the run is over and the figures are new).
    services.rollup_refresh_if_stale(requested_by=request.user)
    finished, in_flight = selectors.latest_runs()
    # The figures, the heavy part, from the read replica when there is one (core/replica.py).
    with replica_reads():
        tables = selectors.dashboard_tables(scope=scope, filters=filters)
        headline = selectors.headline_figures(
            scope=scope, filters=filters, tables=tables, suppress=not scope.exact
        )
    return render(
        request,
        "reporting/dashboard.html",
        {
            "scope": scope,
            "form": form,
            "filters": filters,
            "headline": headline,
            "tables": tables,
            "last_run": finished,
            "run": in_flight,
            "stale_after_minutes": settings.REPORTING_ROLLUP_INCREMENTAL_MINUTES,
        },
    )


@login_required
@require_POST
def refresh(request):
    _scope_or_403(request)
    run, _created = services.rollup_request(
        kind=RollupRun.Kind.INCREMENTAL, requested_by=request.user
    )
    # With Celery eager (the demo) the run is over by now; elsewhere the page shows its progress.
    run.refresh_from_db()
    if run.state == RollupRun.State.DONE:
        messages.success(request, _("Figures refreshed."))
    elif run.state == RollupRun.State.FAILED:
        messages.error(request, _("The figures could not be refreshed. Try again later."))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("reporting:dashboard")
    return redirect(f"{back}#refresh")


@login_required
@require_GET
def run_status(request, run_uuid):
    _scope_or_403(request)
    run = RollupRun.objects.filter(uuid=run_uuid).first()
    if run is None:
        raise Http404
    return JsonResponse(
        {
            "state": run.state,
            "state_label": run.get_state_display(),
            "progress": run.progress,
            "finished": run.state in (RollupRun.State.DONE, RollupRun.State.FAILED),
        }
    )


# The GP-system extract (reporting.gp_extract) -------------------------------


def _gp_extract_user_or_403(request):
    if not gp_extract.may_use_gp_extract(request.user):
        raise PermissionDenied


def _gp_extract_render(request, form, practices, *, status=200):
    count = None
    if form.is_valid():
        count = gp_extract.coded_events(
            practice=form.cleaned_data["practice"],
            period=form.cleaned_data["period"],
            user=request.user,
        ).count()
    return render(
        request,
        "reporting/gp_extract.html",
        {
            "form": form,
            "has_practices": practices.exists(),
            "count": count,
            "concepts": gp_extract.CONCEPTS.items(),
        },
        status=status,
    )


@login_required
@require_GET
def gp_extract_page(request):
    _gp_extract_user_or_403(request)
    practices = gp_extract.practices_for(request.user)
    data = request.GET or GPExtractForm.initial_data(practices)
    return _gp_extract_render(request, GPExtractForm(data, practices=practices), practices)


@login_required
@require_GET
def gp_extract_csv(request, ods_code):
    _gp_extract_user_or_403(request)
    practice = gp_extract.get_practice_for(request.user, ods_code)
    practices = gp_extract.practices_for(request.user)
    data = {"practice": practice.ods_code, **{k: request.GET.get(k, "") for k in ("from", "to")}}
    form = GPExtractForm(data, practices=practices)
    if not form.is_valid():
        # Bad dates: the page again with the errors, naming the field, and no file.
        return _gp_extract_render(request, form, practices, status=400)
    period = form.cleaned_data["period"]
    found = gp_extract.extract(practice=practice, period=period, user=request.user)
    # One export row naming every person and referral in the file.
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.EXPORT,
        obj=practice,
        request=request,
        detail=gp_extract.audit_detail(practice=practice, period=period, row_count=len(found.rows)),
        people=found.people,
        records=found.references,
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{gp_extract.filename(practice, period)}"'
    )
    gp_extract.write_csv(response, found.rows)
    return response


# Exports -------------------------------------------------------------------


def _export_tables(request):
    """(scope, filters, tables, produced_at) for an export: the dashboard's, always suppressed."""
    scope = _scope_or_403(request)
    filters = DashboardFilterForm(request.GET or None, scope=scope).filters()
    with replica_reads():
        tables = selectors.dashboard_tables(scope=scope, filters=filters, suppress=True)
    finished, _in_flight = selectors.latest_runs()
    return scope, filters, tables, finished.finished_at if finished else None


def _audit_export(request, *, scope, filters, what):
    with translation.override("en"):
        described = "; ".join(f"{label}={value}" for label, value in filters.described())
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.EXPORT,
        obj=scope.scheme if scope.kind == "scheme" else scope.area,
        request=request,
        detail=f"reporting {what}; {described}",
    )


def _file_response(content: bytes, *, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def export_table(request, table_key, extension):
    scope, filters, tables, produced_at = _export_tables(request)
    table = next((table for table in tables if table.key == table_key), None)
    if table is None:
        raise Http404
    name = exports.filename(key=table.key, filters=filters, extension=extension)
    if extension == "csv":
        content = exports.table_csv(
            table=table, scope=scope, filters=filters, produced_at=produced_at
        )
        content_type = exports.CSV_CONTENT_TYPE
    else:
        content = exports.tables_xlsx(
            tables=[table], scope=scope, filters=filters, produced_at=produced_at
        )
        content_type = exports.XLSX_CONTENT_TYPE
    _audit_export(request, scope=scope, filters=filters, what=f"table={table.key} {extension}")
    return _file_response(content, content_type=content_type, name=name)


@login_required
@require_GET
def export_all(request):
    scope, filters, tables, produced_at = _export_tables(request)
    content = exports.tables_xlsx(
        tables=tables, scope=scope, filters=filters, produced_at=produced_at
    )
    _audit_export(request, scope=scope, filters=filters, what="table=all xlsx")
    name = exports.filename(key="all", filters=filters, extension="xlsx")
    return _file_response(content, content_type=exports.XLSX_CONTENT_TYPE, name=name)
