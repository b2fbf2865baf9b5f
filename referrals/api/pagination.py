"""Paging of the referral list: `page` and `page_size`, whole numbers within their bounds.

DRF's page-number pagination quietly falls back to the default for a
`page_size` it cannot read (`abc`, `-1`, `0`) and caps one too large; a
partner would never learn that it did not get what it asked for. Here a bad
value answers 400 naming the parameter, and a page past the last 404 naming
`page`, both as problem JSON; the schema states the bounds.
"""

import re

from django.core.paginator import InvalidPage
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination

WHOLE_NUMBER = re.compile(r"^[0-9]+$")  # ASCII only: int() would also take "١٢" or " 5 "
# Python refuses to read integers of more than 4,300 digits; any page past 10**18 is past the last.
LONGEST_PAGE_NUMBER = 18


class PageNotFound(exceptions.NotFound):
    parameter = "page"


class ReferralPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        errors = {}
        page_size = self.page_size
        raw_size = request.query_params.get(self.page_size_query_param)
        if raw_size is not None:
            digits = raw_size.lstrip("0")
            if (
                WHOLE_NUMBER.fullmatch(raw_size)
                and len(digits) <= 3
                and 0 < int(digits or 0) <= self.max_page_size
            ):
                page_size = int(raw_size)
            else:
                errors[self.page_size_query_param] = [
                    _("Give a whole number from 1 to %(max)s.") % {"max": self.max_page_size}
                ]
        raw_page = request.query_params.get(self.page_query_param, "1")
        if not WHOLE_NUMBER.fullmatch(raw_page) or not raw_page.strip("0"):
            errors[self.page_query_param] = [_("Give a whole number of 1 or more.")]
        if errors:
            raise exceptions.ValidationError(errors)
        paginator = self.django_paginator_class(queryset, page_size)
        try:
            if len(raw_page.lstrip("0")) > LONGEST_PAGE_NUMBER:
                raise InvalidPage
            self.page = paginator.page(int(raw_page))
        except InvalidPage:
            raise PageNotFound(
                _("There is no page %(page)s: the last page is %(last)s.")
                % {"page": raw_page, "last": paginator.num_pages}
            ) from None
        return list(self.page)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return parameters
