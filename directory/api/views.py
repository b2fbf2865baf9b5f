"""The Open Referral UK API (ORUK 3.0): read-only, public, under /api/oruk/.

Each view parses its query with an input serializer, asks a selector in
`directory.oruk_selectors` for rows and shapes them with `directory.hsds`.
Behaviour at the edges (also in the README, "Open Referral API"):

- `page` starts at 1; `page=0`, a negative or a non-number answers 400.
- `per_page` defaults to 50 and may be 1 to 200; above 200 answers 400
  (a client asking for more should know it did not get it).
- a page past the last answers 200 with empty `contents`, `empty` true and
  `last_page` true, so a client walking pages stops cleanly.
- every problem is RFC 7807 JSON naming the offending parameter; an empty
  parameter (`?day=`) counts as not given.

The views are left out of the project's own OpenAPI schema (drf-spectacular):
the profile's OpenAPI document describes them and is served at openapi.json.
"""

import math
import uuid

from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.postcodes import PostcodeError
from core.problems import InvalidParameter, NotFound
from directory import hsds, oruk_selectors
from directory.models import ServiceAtLocation
from directory.postcodes import lookup

from .serializers import (
    PageQuerySerializer,
    ServiceAtLocationQuerySerializer,
    ServiceQuerySerializer,
    TaxonomyTermQuerySerializer,
)


class JsonOnly(BaseContentNegotiation):
    """Always JSON, whatever the client's Accept header says (a browser's included)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@extend_schema(exclude=True)
class OrukView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonOnly
    throttle_classes = []
    http_method_names = ["get", "head", "options"]

    # Errors are problems from core.problems (the project's DRF exception handler).
    problem_invalid_title = _("Invalid query parameter")
    problem_invalid_name = "query"

    def query(self, serializer_class):
        # An empty parameter (`?day=`) is treated as one not given.
        data = {key: value for key, value in self.request.query_params.items() if value != ""}
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer


def paged(queryset, *, page: int, per_page: int, item, rows=None, limit=None) -> dict:
    """One page in the profile's shape; the row query is skipped past the last page.

    `rows(start, stop, total)` gives the page's rows where slicing the queryset would not
    (nearest first, a search's tiers); `queryset` still counts them. With a `limit` (a search:
    oruk_selectors.search_limit) only the first `limit` rows are served and counted.
    """
    counted = queryset if limit is None else queryset.order_by().values("pk")[:limit]
    total = counted.count()
    total_pages = math.ceil(total / per_page)
    start, stop = (page - 1) * per_page, min(page * per_page, total)
    if page > total_pages:
        found = []
    elif rows is not None:
        found = rows(start, stop, total)
    else:
        found = list(queryset[start:stop])
    contents = [item(row) for row in found]
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": not contents,
        "contents": contents,
    }


def get_by_id(queryset, raw_id: str, not_found_message):
    """The row with this HSDS id (our uuid); 404 for a malformed id as for an unknown one."""
    try:
        wanted = uuid.UUID(raw_id)
    except ValueError:
        wanted = None
    found = queryset.filter(uuid=wanted).first() if wanted else None
    if found is None:
        raise NotFound(not_found_message % {"id": raw_id})
    return found


class RootView(OrukView):
    def get(self, request):
        return Response(
            {
                "version": hsds.HSDS_VERSION,
                "profile": hsds.PROFILE_URL,
                "openapi_url": request.build_absolute_uri(reverse("oruk:openapi")),
                # Not in the profile (which allows more): how far a search's pages go.
                "search_results_limit": oruk_selectors.SEARCH_LIMIT,
            }
        )


class OpenApiView(OrukView):
    def get(self, request):
        return HttpResponse(hsds.OPENAPI_PATH.read_bytes(), content_type="application/json")


class ServiceListView(OrukView):
    def get(self, request):
        query = self.query(ServiceQuerySerializer)
        filters = query.service_filters()
        services = oruk_selectors.oruk_services_filtered(filters)
        limit = oruk_selectors.search_limit(filters)

        def best_first(start, stop, total):
            ids = oruk_selectors.oruk_services_searched_page(
                filters, start=start, stop=stop, few=limit is None or total < limit
            )
            if ids is None:
                return list(hsds.services_for_list(services)[start:stop])
            loaded = hsds.services_for_list(oruk_selectors.oruk_services()).in_bulk(ids)
            return [loaded[pk] for pk in ids]

        return Response(
            paged(
                hsds.services_for_list(services),
                page=query.validated_data["page"],
                per_page=query.validated_data["per_page"],
                item=hsds.service_summary,
                rows=best_first if filters.search else None,
                limit=limit,
            )
        )


class ServiceDetailView(OrukView):
    def get(self, request, id):
        service = get_by_id(
            hsds.services_for_full(oruk_selectors.oruk_services()),
            id,
            _("No service has the id “%(id)s”."),
        )
        return Response(hsds.service_full(service))


class ServiceAtLocationListView(OrukView):
    def get(self, request):
        query = self.query(ServiceAtLocationQuerySerializer)
        near = None
        if "postcode" in query.validated_data:
            try:
                near = lookup(query.validated_data["postcode"])
            except PostcodeError as error:
                raise InvalidParameter("postcode", str(error)) from error
        filters = query.service_filters()
        rows = oruk_selectors.oruk_service_at_locations(
            filters, near=near, proximity=query.validated_data.get("proximity")
        )

        def nearest_first(start, stop, total):
            page = oruk_selectors.oruk_service_at_locations_near(rows, near, start=start, stop=stop)
            loaded = hsds.service_at_locations_for_list(ServiceAtLocation.objects).in_bulk(
                [pk for pk, _ in page]
            )
            return [loaded[pk] for pk, _ in page]

        return Response(
            paged(
                hsds.service_at_locations_for_list(rows),
                page=query.validated_data["page"],
                per_page=query.validated_data["per_page"],
                item=hsds.service_at_location_summary,
                rows=nearest_first if near is not None else None,
                limit=oruk_selectors.search_limit(filters, near),
            )
        )


class ServiceAtLocationDetailView(OrukView):
    def get(self, request, id):
        row = get_by_id(
            hsds.service_at_locations_for_full(oruk_selectors.oruk_public_service_at_locations()),
            id,
            _("No service at a location has the id “%(id)s”."),
        )
        return Response(hsds.service_at_location_full(row))


class TaxonomyListView(OrukView):
    def get(self, request):
        query = self.query(PageQuerySerializer)
        return Response(
            paged(oruk_selectors.oruk_taxonomies(), item=hsds.taxonomy, **query.validated_data)
        )


class TaxonomyDetailView(OrukView):
    def get(self, request, id):
        found = get_by_id(
            hsds.taxonomies_with_terms(oruk_selectors.oruk_taxonomies()),
            id,
            _("No taxonomy has the id “%(id)s”."),
        )
        return Response(hsds.taxonomy(found, with_terms=True))


class TaxonomyTermListView(OrukView):
    def get(self, request):
        query = self.query(TaxonomyTermQuerySerializer)
        data = query.validated_data
        terms = oruk_selectors.oruk_taxonomy_terms(
            taxonomy_id=data.get("taxonomy_id"),
            parent_id=data.get("parent_id"),
            top_only=data["top_only"],
        )
        return Response(
            paged(
                hsds.taxonomy_terms_for_list(terms),
                page=data["page"],
                per_page=data["per_page"],
                item=hsds.taxonomy_term,
            )
        )


class TaxonomyTermDetailView(OrukView):
    def get(self, request, id):
        term = get_by_id(
            hsds.taxonomy_terms_for_list(oruk_selectors.oruk_taxonomy_terms()),
            id,
            _("No taxonomy term has the id “%(id)s”."),
        )
        return Response(hsds.taxonomy_term(term))


class OrganizationListView(OrukView):
    def get(self, request):
        query = self.query(PageQuerySerializer)
        return Response(
            paged(
                oruk_selectors.oruk_organizations(),
                item=hsds.organization,
                **query.validated_data,
            )
        )


class OrganizationDetailView(OrukView):
    def get(self, request, id):
        provider = get_by_id(
            oruk_selectors.oruk_organizations(), id, _("No organization has the id “%(id)s”.")
        )
        services = hsds.services_for_list(
            oruk_selectors.oruk_services().filter(provider=provider).order_by("name", "pk")
        )
        return Response(hsds.organization_full(provider, services))
