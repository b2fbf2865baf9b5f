"""The bare DRF endpoints the partner API is measured against (`make bench`, "partner API").

The same stack as the partner API (Django, its middleware and settings, DRF's JSON
renderer, PostgreSQL, gunicorn) without what the API adds on top: no token, scope or
rate limit, no audit row, no idempotency, no scheme routing or person matching. Each
does the least its twin must: find a referral and add an event to it (the create),
read one referral, list an organisation's referrals newest first, a page of 50 with
its count. The figures of the two, measured in the same run, say what the API's own
work costs (README, "Speed").
"""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from rest_framework import generics, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from referrals.models import Referral, ReferralEvent


class BareReferralSerializer(serializers.ModelSerializer):
    class Meta:
        model = Referral
        fields = ["uuid", "reference", "status", "urgency", "received_at", "updated_at"]


class BareEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReferralEvent
        fields = ["uuid", "kind", "note", "visible_to_referrer", "created_at"]
        read_only_fields = ["uuid", "created_at"]


class Bare:
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]


class BarePagination(PageNumberPagination):
    page_size = 50


class BareList(Bare, generics.ListAPIView):
    serializer_class = BareReferralSerializer
    pagination_class = BarePagination

    def get_queryset(self) -> QuerySet[Referral]:
        mine = Referral.objects.filter(referring_organisation_id=self.kwargs["organisation"])
        return mine.order_by("-received_at", "-pk")


class BareDetail(Bare, generics.RetrieveAPIView):
    serializer_class = BareReferralSerializer
    queryset = Referral.objects.all()
    lookup_field = "uuid"


class BareCreate(Bare, generics.GenericAPIView):
    serializer_class = BareEventSerializer

    def post(self, request, uuid):
        referral = get_object_or_404(Referral.objects.only("pk"), uuid=uuid)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.save(referral=referral, created_at=timezone.now())
        return Response(serializer.data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("bench/bare/organisations/<int:organisation>/referrals/", BareList.as_view()),
    path("bench/bare/referrals/<uuid:uuid>/", BareDetail.as_view()),
    path("bench/bare/referrals/<uuid:uuid>/events/", BareCreate.as_view()),
]
