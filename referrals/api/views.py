"""The partner API for referrals, under /api/v1/ (DESIGN.md: a page and its API twin
call the same service and the same selector).

Each method is one use case: parse with an input serializer, call a service
or selector, present with an output serializer. Errors become problem JSON in
core.problems; scopes, rate limits and the Bearer token are accounts' business.
"""

import hashlib
import json
import re

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.api.authentication import ApiClientAuthentication
from accounts.api.parsers import SafeJSONParser
from accounts.api.permissions import HasApiScope
from accounts.api.throttling import ApiClientRateThrottle
from accounts.models import ApiScope
from referrals import selectors, services
from referrals.models import Referral

from .examples import REFERRAL_CREATED_EXAMPLE, REFERRAL_ID_EXAMPLE, REFERRAL_REQUEST_EXAMPLE
from .filters import ReferralFilter
from .pagination import ReferralPagination
from .schema import PartnerAutoSchema, problem_responses
from .serializers import (
    ReferralCreateInputSerializer,
    ReferralDetailOutputSerializer,
    ReferralOutputSerializer,
    api_field_name,
    referral_answer,
    referral_detail_answer,
)

IDEMPOTENCY_KEY_MAX = 255
# Visible ASCII, spaces allowed inside: a header carries bytes, so anything else arrives mangled.
IDEMPOTENCY_KEY_PATTERN = r"^[!-~](?:[ -~]*[!-~])?$"
IDEMPOTENCY_KEY_SHAPE = re.compile(IDEMPOTENCY_KEY_PATTERN)


class PartnerApiView(GenericAPIView):
    """What every partner endpoint shares: Bearer token, scopes, rate limit, JSON only."""

    authentication_classes = [ApiClientAuthentication]
    permission_classes = [HasApiScope]
    throttle_classes = [ApiClientRateThrottle]
    parser_classes = [SafeJSONParser]
    renderer_classes = [JSONRenderer]
    schema = PartnerAutoSchema()
    # The OpenAPI schema describes the API; OPTIONS would only repeat part of it.
    http_method_names = ["get", "post", "head"]
    required_scopes: dict[str, str] = {}

    def dispatch(self, request, *args, **kwargs):
        # Pages take their language from the address (/cy/...); an API address is the
        # same in every language, so problems follow the Accept-Language header instead.
        language = translation.get_language_from_request(request, check_path=False)
        with translation.override(language):
            response = super().dispatch(request, *args, **kwargs)
        response.headers.setdefault("Content-Language", language)
        return response

    @property
    def api_client(self):
        return self.request.auth

    @staticmethod
    def problem_field_name(name):
        return api_field_name(name)


IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    type={
        "type": "string",
        "minLength": 1,
        "maxLength": IDEMPOTENCY_KEY_MAX,
        "pattern": IDEMPOTENCY_KEY_PATTERN,
    },
    location=OpenApiParameter.HEADER,
    required=False,
    description=gettext_lazy(
        "Any unique string of up to 255 visible ASCII characters (a UUID is a good choice). "
        "Sending the same request again with the same key returns the referral the first one "
        "made (200) instead of making another; the same key with a different body answers 409."
    ),
)
LOCATION_HEADER = OpenApiParameter(
    "Location",
    type={"type": "string", "format": "uri"},
    location=OpenApiParameter.HEADER,
    required=True,
    response=[200, 201],
    description=gettext_lazy("The address of the referral."),
)
# Every operation may answer these; their headers are part of the answer.
ERROR_HEADERS = [
    OpenApiParameter(
        "WWW-Authenticate",
        type=str,
        location=OpenApiParameter.HEADER,
        required=True,
        response=[401],
        description=gettext_lazy("The scheme to authenticate with: Bearer."),
    ),
    OpenApiParameter(
        "Retry-After",
        type={"type": "integer", "minimum": 1},
        location=OpenApiParameter.HEADER,
        required=True,
        response=[429],
        description=gettext_lazy("Seconds to wait before the next request."),
    ),
]
READ_PROBLEMS = (401, 403, 404, 406, 429)


class ReferralListCreateView(PartnerApiView):
    required_scopes = {"GET": ApiScope.REFERRALS_READ, "POST": ApiScope.REFERRALS_WRITE}
    filter_backends = [DjangoFilterBackend]
    filterset_class = ReferralFilter
    pagination_class = ReferralPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no client
            return Referral.objects.none()
        return selectors.referral_list_for_api_client(self.api_client)

    @extend_schema(
        operation_id="referrals_list",
        summary=gettext_lazy("List your organisation's referrals"),
        description=gettext_lazy(
            "The referrals the client's organisation made, newest first, with their status and "
            "milestone dates and no personal details."
        ),
        parameters=ERROR_HEADERS,
        responses={
            # Keyed like the problems, so drf-spectacular still finds the list among them.
            (200, "application/json"): ReferralOutputSerializer(many=True),
            **problem_responses(400, *READ_PROBLEMS),
        },
        tags=["referrals"],
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        # No personal details, but each reference is a person's referral: one audit row.
        services.referrals_view_record(
            referrals=page, actor=None, api_client=self.api_client, request=request,
            what="partner API referral list",
        )  # fmt: skip
        return self.get_paginated_response([referral_answer(referral) for referral in page])

    @extend_schema(
        operation_id="referrals_create",
        summary=gettext_lazy("Make a referral"),
        description=gettext_lazy(
            "Refers a person to social prescribing for the client's organisation. The person "
            "must have agreed to the referral and to sharing their details."
        ),
        request=ReferralCreateInputSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER, LOCATION_HEADER, *ERROR_HEADERS],
        responses={
            (201, "application/json"): ReferralOutputSerializer,
            (200, "application/json"): OpenApiResponse(
                ReferralOutputSerializer,
                description=gettext_lazy(
                    "A repeat of a request already made with this Idempotency-Key."
                ),
            ),
            **problem_responses(400, 401, 403, 406, 409, 413, 415, 422, 429),
        },
        examples=[REFERRAL_REQUEST_EXAMPLE, REFERRAL_CREATED_EXAMPLE],
        tags=["referrals"],
    )
    def post(self, request):
        key = self._idempotency_key(request)
        serializer = ReferralCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        details = {
            "person_details": serializer.person_details(),
            "referral_details": serializer.referral_details(),
            "request": request,
        }
        if key is None:
            referral = services.referral_create(api_client=self.api_client, **details)
            created = True
        else:
            referral, created = services.referral_create_idempotent(
                api_client=self.api_client,
                idempotency_key=key,
                request_hash=_body_hash(request.data),
                **details,
            )
        location = request.build_absolute_uri(
            reverse("api-v1:referral-detail", kwargs={"id": referral.uuid})
        )
        return Response(
            referral_answer(referral),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers={"Location": location},
        )

    @staticmethod
    def _idempotency_key(request):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return None
        if len(key) > IDEMPOTENCY_KEY_MAX or not IDEMPOTENCY_KEY_SHAPE.fullmatch(key):
            raise exceptions.ValidationError(
                {
                    "Idempotency-Key": [
                        _(
                            "Send a key of 1 to %(max)s visible ASCII characters (spaces "
                            "allowed between them), such as a UUID."
                        )
                        % {"max": IDEMPOTENCY_KEY_MAX}
                    ]
                }
            )
        return key


class ReferralDetailView(PartnerApiView):
    required_scopes = {"GET": ApiScope.REFERRALS_READ}

    @extend_schema(
        operation_id="referrals_retrieve",
        summary=gettext_lazy("Read one referral and its timeline"),
        description=gettext_lazy(
            "Status, dates, closure summary and the events meant for the referrer. When the "
            "person chose coded events only (gp_feedback coded_only), the scheme's words are "
            "withheld: closure_summary and suggested_alternative are null and the scheme's "
            "timeline notes are empty. Each read is written to the audit trail."
        ),
        parameters=[
            OpenApiParameter(
                "id",
                OpenApiTypes.UUID,
                OpenApiParameter.PATH,
                description=gettext_lazy("The referral's id, as the list and Location give it."),
                examples=[REFERRAL_ID_EXAMPLE],
            ),
            *ERROR_HEADERS,
        ],
        responses={
            (200, "application/json"): ReferralDetailOutputSerializer,
            **problem_responses(*READ_PROBLEMS),
        },
        tags=["referrals"],
    )
    def get(self, request, id):
        referral = selectors.get_referral_for_api_client(self.api_client, id)
        services.referral_view_record(
            referral=referral, actor=None, api_client=self.api_client, request=request
        )
        # ReferralDetailOutputSerializer's answer, written out directly (serializers.py).
        return Response(
            referral_detail_answer(
                referral,
                timeline=selectors.referrer_timeline_for_api(referral),
                feedback_text=selectors.referrer_feedback_text(referral),
            )
        )


def _body_hash(data) -> str:
    """The same JSON, however spaced or ordered, gives the same hash."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
