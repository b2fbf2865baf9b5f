"""Input serializers for the ORUK API's query parameters.

Output is plain HSDS built in `directory.hsds` (the same module the export
uses), so nothing here writes and nothing here shapes a response.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from directory.hsds import WEEKDAY_FROM_BYDAY
from directory.models import Schedule
from directory.oruk_selectors import ServiceFilters

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200

_DAY_NAMES = {day.name: day.value for day in Schedule.Weekday}


class PageQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, default=1)
    per_page = serializers.IntegerField(
        min_value=1, max_value=MAX_PER_PAGE, default=DEFAULT_PER_PAGE
    )


class ServiceQuerySerializer(PageQuerySerializer):
    search = serializers.CharField(max_length=200, required=False, default="")
    taxonomy_term_id = serializers.UUIDField(required=False)
    taxonomy_id = serializers.UUIDField(required=False)
    minimum_age = serializers.FloatField(min_value=0, max_value=150, required=False)
    maximum_age = serializers.FloatField(min_value=0, max_value=150, required=False)
    start_time = serializers.TimeField(required=False)
    end_time = serializers.TimeField(required=False)
    day = serializers.CharField(required=False)
    modified_after = serializers.DateTimeField(required=False)

    def validate_day(self, value):
        """HSDS byday codes (MO, TU... as in iCal) or day names (monday...), in any case."""
        code = value.strip().upper()
        day = WEEKDAY_FROM_BYDAY.get(code) or _DAY_NAMES.get(code)
        if day is None:
            raise serializers.ValidationError(
                _("Give a day as MO, TU, WE, TH, FR, SA or SU (or its name, such as monday).")
            )
        return int(day)

    def service_filters(self) -> ServiceFilters:
        data = self.validated_data
        return ServiceFilters(
            search=data["search"],
            taxonomy_term_id=data.get("taxonomy_term_id"),
            taxonomy_id=data.get("taxonomy_id"),
            minimum_age=data.get("minimum_age"),
            maximum_age=data.get("maximum_age"),
            start_time=data.get("start_time"),
            end_time=data.get("end_time"),
            day=data.get("day"),
            modified_after=data.get("modified_after"),
        )


class ServiceAtLocationQuerySerializer(ServiceQuerySerializer):
    postcode = serializers.CharField(max_length=10, required=False)
    proximity = serializers.FloatField(min_value=1, max_value=1_000_000, required=False)

    def validate(self, attrs):
        if "proximity" in attrs and "postcode" not in attrs:
            raise serializers.ValidationError(
                {"proximity": _("Give a postcode to measure the proximity from.")}
            )
        return attrs


class TaxonomyTermQuerySerializer(PageQuerySerializer):
    taxonomy_id = serializers.UUIDField(required=False)
    parent_id = serializers.UUIDField(required=False)
    top_only = serializers.BooleanField(required=False, default=False)
