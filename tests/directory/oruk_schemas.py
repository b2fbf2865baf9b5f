"""Validate API output against the ORUK profile's JSON schemas (copied into directory/oruk/)."""

import json
from datetime import datetime
from functools import cache
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from directory.hsds import ORUK_DIR, PROFILE_URL

SCHEMA_DIR = ORUK_DIR / "schema"
# taxonomy.json refers to taxonomy_term.json by relative path: serve both from one base.
BASE = f"{PROFILE_URL}/schema"

FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _is_datetime(value):
    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


@FORMATS.checks("uri")
def _is_uri(value):
    parts = urlsplit(value) if isinstance(value, str) else None
    return parts is None or bool(parts.scheme and parts.netloc)


@cache
def _registry() -> Registry:
    resources = []
    for path in [*SCHEMA_DIR.glob("*.json"), *SCHEMA_DIR.glob("compiled/*.json")]:
        if path.name == "openapi.json":
            continue
        uri = f"{BASE}/{path.relative_to(SCHEMA_DIR)}"
        contents = json.loads(path.read_text())
        resources.append((uri, Resource.from_contents(contents, DRAFT202012)))
    return Registry().with_resources(resources)


@cache
def validator(name: str) -> Draft202012Validator:
    """`name` such as "compiled/service" or "taxonomy"."""
    return Draft202012Validator(
        {"$ref": f"{BASE}/{name}.json"}, registry=_registry(), format_checker=FORMATS
    )


def assert_valid(data, name: str):
    errors = sorted(validator(name).iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors
    )


PAGE_KEYS = {
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
}


@cache
def _page_validator() -> Draft202012Validator:
    openapi = json.loads((SCHEMA_DIR / "openapi.json").read_text())
    return Draft202012Validator(openapi["components"]["schemas"]["Page"])


def assert_valid_page(page: dict, item_schema: str):
    """The profile's Page object, with every key present, and each item valid."""
    assert set(page) == PAGE_KEYS
    _page_validator().validate(page)
    for item in page["contents"]:
        assert_valid(item, item_schema)
