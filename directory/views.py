from uuid import UUID

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import selectors
from .forms import DirectorySearchForm
from .models import Service

PAGE_SIZE = 20


def _page_number(raw: str | None, num_pages: int) -> int:
    """A page number from the address: anything odd gives the nearest real page."""
    if raw is None:
        return 1
    try:
        number = int(raw)
    except ValueError:
        return 1
    return min(max(number, 1), num_pages)


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    form = DirectorySearchForm(request.GET)
    page: Page[Service] | None = None
    numbered: list[tuple[int, Service]] = []
    results: selectors.ServiceResults | None = None
    if form.is_valid():
        results = selectors.services_search(**form.search_arguments())
        paginator = Paginator(results, PAGE_SIZE)
        page = paginator.page(_page_number(request.GET.get("page"), paginator.num_pages))
        # Numbered as the list shows them, so the map's pins can say which result they are.
        numbered = list(enumerate(page.object_list, start=page.start_index()))
    return render(
        request,
        "directory/search.html",
        {
            "form": form,
            "page": page,
            "results": results,
            "numbered": numbered,
            "near": form.place,
        },  # fmt: skip
    )


@require_GET
def service_detail(request: HttpRequest, uuid: UUID) -> HttpResponse:
    service = selectors.get_service(uuid)
    context = {"service": service, "can_check": selectors.user_can_check_services(request.user)}
    if context["can_check"]:
        # Link workers see the listing's checks and staleness before they refer.
        context["latest_check"] = selectors.service_latest_checks([service.pk]).get(service.pk)
    return render(request, "directory/service.html", context)
