"""The subject access bundle written out: one self-contained HTML file and one JSON file.

Both come from the one structure `privacy.services.subject_access_bundle`
builds. The HTML file is opened from disk, far from this site, so it
carries everything it needs: its print stylesheet inline, no script, no
image, no font, nothing fetched. A Content-Security-Policy in the file
itself allows exactly that stylesheet (by its hash) and nothing else, so
even a missed escape could not run script where the person opens it.
"""

import base64
import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from ..selectors.subject_access import Json

HTML_CONTENT_TYPE = "text/html; charset=utf-8"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def bundle_json(bundle: Json) -> str:
    """The bundle as JSON: the keys README documents, dates and times in ISO 8601 (UTC)."""
    return json.dumps(bundle, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2) + "\n"


def _stylesheet() -> tuple[str, str]:
    """The stylesheet, and the policy that allows it (by its hash) and nothing else."""
    css = render_to_string("privacy/subject_access_bundle.css")
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    policy = f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    return css, policy


def bundle_html(bundle: Json) -> str:
    """The bundle as one printable HTML page, in the bundle's language."""
    css, policy = _stylesheet()
    context: dict[str, Any] = {
        "bundle": bundle,
        # Our own stylesheet and policy, made here from our own template: they must reach
        # the page byte for byte (the hash), and hold nothing anyone typed.
        "stylesheet": mark_safe(css),  # noqa: S308
        "policy": mark_safe(policy),  # noqa: S308
    }
    with translation.override(bundle["language"]):
        return render_to_string("privacy/subject_access_bundle.html", context)


def filename(bundle: Json, extension: str, *, stem: str = "") -> str:
    """`subject-access-<stem>-<YYYY-MM-DD>.<extension>`; the stem is the person's uuid by default.

    Never the person's name: a file name shows in download lists and mail subjects.
    """
    day = timezone.localtime(bundle["produced_at"]).date().isoformat()
    return f"subject-access-{stem or bundle['person']['uuid']}-{day}.{extension}"
