"""The JSON parser every API endpoint uses: hostile bodies are refused with a 4xx, never a 500.

DRF's JSONParser reads the whole stream, however large, and lets Python's
decoder recurse into any depth: `[[[[...` ten thousand deep raised
RecursionError and answered 500. This one reads at most
DATA_UPLOAD_MAX_MEMORY_SIZE bytes (413 above it) and refuses a body nested
deeper than MAX_JSON_DEPTH (400), whether the decoder gives up first or not.
"""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import JSONParser, get_encoding  # type: ignore[attr-defined]
from rest_framework.utils import json

from core.problems import RequestBodyTooLarge, too_large_message

# A referral is three levels deep (body > person > field); 32 leaves room for any
# honest request and stops far below Python's recursion limit (1,000 frames).
MAX_JSON_DEPTH = 32


def json_depth(value) -> int:
    """How deeply arrays and objects nest in `value` (a scalar is 0), counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            break  # deep enough to refuse; no need to walk the rest
        stack.extend((child, depth + 1) for child in children)
    return deepest


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = get_encoding(parser_context)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise RequestBodyTooLarge(too_large_message())
        try:
            text = raw.decode(encoding)
            parse_constant = json.strict_constant if self.strict else None
            data = json.loads(text, parse_constant=parse_constant)
        except RecursionError:
            data = None
            depth = MAX_JSON_DEPTH + 1
        except ValueError as exc:  # bad JSON, bad encoding (UnicodeDecodeError is a ValueError)
            raise exceptions.ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from exc
        else:
            depth = json_depth(data)
        if depth > MAX_JSON_DEPTH:
            raise exceptions.ParseError(
                _("The JSON is nested more than %(max)s levels deep.") % {"max": MAX_JSON_DEPTH}
            )
        return data
