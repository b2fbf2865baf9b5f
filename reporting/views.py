"""Dashboards and exports: parse the filters, read the cubes through the selectors, render."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services
from .forms import DashboardFilterForm
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
    finished, in_flight = selectors.latest_runs()
    return render(
        request,
        "reporting/dashboard.html",
        {
            "scope": scope,
            "form": form,
            "filters": filters,
            "tables": selectors.dashboard_tables(scope=scope, filters=filters),
            "last_run": finished,
            "run": in_flight,
        },
    )


@login_required
@require_POST
def refresh(request):
    _scope_or_403(request)
    services.rollup_request(kind=RollupRun.Kind.INCREMENTAL, requested_by=request.user)
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
