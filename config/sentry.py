"""Error reports to Sentry when SENTRY_DSN is set (README, "Monitoring").

People's records are health data, so what leaves the deployment is the error and
where it happened, never what was in the request: no bodies, cookies, query
strings, headers beyond the harmless, user names or e-mail addresses, and no
local variables of the frames (they hold people's records).
"""

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

# Request headers that say nothing about a person.
KEPT_HEADERS = frozenset({"accept", "accept-language", "content-type", "host", "user-agent"})


def scrub(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Remove anything that could be a person's data from an event before it is sent."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string", "env"):
            request.pop(key, None)
        if isinstance(request.get("url"), str):
            request["url"] = request["url"].split("?", 1)[0]
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                name: value for name, value in headers.items() if name.lower() in KEPT_HEADERS
            }
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    for crumb in (event.get("breadcrumbs") or {}).get("values", []):
        # SQL breadcrumbs carry parameters (names, NHS numbers): keep the statement only.
        if isinstance(crumb, dict):
            crumb.pop("data", None)
    return event


def sentry_init(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        # No user names or addresses, request bodies, SQL parameters or frames' variables;
        # scrub() removes the rest (cookies, headers, query strings) from what is left.
        data_collection={
            "user_info": False,
            "http_bodies": [],
            "database_query_data": False,
            "stack_frame_variables": False,
        },
        traces_sample_rate=traces_sample_rate,
        before_send=scrub,  # type: ignore[arg-type]
        before_send_transaction=scrub,  # type: ignore[arg-type]
    )
