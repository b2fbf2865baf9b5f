"""Every answer that shows a person writes one audit row naming them (issue 13, point 2).

The walker takes every URL pattern of the project from the resolver (so a page
added later is walked without anyone listing it here), fills its parameters
with the records of a small demo-like scheme (tests/audit_world.py), and GETs
it as each role, as nobody, and, for the partner API, as an API client. An
answer that shows a person (their family name, NHS number or a referral
reference found in the HTML, JSON or file) must have written exactly one audit
row during that request, by that user or client, with an AuditSubject for
each person shown and each reference shown among its records.

A parameter the walker does not know by name is filled from the model it names,
else with every person's and referral's id; a pattern it cannot reach at all is
a failure, so a page added later cannot go unwalked.

The admin is walked as the administrator only: every admin address answers
anyone else with the sign-in page (checked below), so it shows them nothing.
"""

import itertools
import re
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.converters import UUIDConverter
from django.urls.exceptions import Resolver404
from django.urls.resolvers import LocalePrefixPattern, RegexPattern, RoutePattern
from django.utils import timezone

from accounts.admin import AuditedReadsAdmin
from accounts.models import AuditEvent
from tests.audit_world import build_world

pytestmark = pytest.mark.django_db

COMBINATIONS_PER_PATTERN = 4
ADMIN_ROWS_PER_MODEL = 3


def _last_two_months(world):
    today = timezone.localdate()
    return f"from={(today - timezone.timedelta(days=60)).isoformat()}&to={today.isoformat()}"


# Query strings a page needs to show what it is for (the GP extract's period).
QUERIES = {
    "reporting:gp_extract_csv": _last_two_months,
    # The header search, for two letters most of the world's family names share.
    "search": lambda world: "q=ar",
}


@dataclass(frozen=True)
class Pattern:
    name: str  # namespace:name, or the route when the pattern has none
    pieces: tuple  # the patterns from the root down to this one
    callback: object

    @property
    def model_admin(self):
        return getattr(self.callback, "model_admin", None)

    @property
    def is_admin(self):
        return self.name.startswith("admin:")

    @property
    def is_api(self):
        # Django REST framework views: the partner API (and any API added later).
        return hasattr(self.callback, "cls")


def every_pattern():
    def walk(patterns, pieces, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = (*namespace, entry.namespace) if entry.namespace else namespace
                yield from walk(entry.url_patterns, (*pieces, entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                route = "".join(str(piece) for piece in (*pieces, entry.pattern))
                name = ":".join((*namespace, entry.name)) if entry.name else route
                yield Pattern(name, (*pieces, entry.pattern), entry.callback)

    return list(walk(get_resolver().url_patterns, (), ()))


# Filling the parameters ---------------------------------------------------------

ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^()]*)\)")


def known_values(world):
    """What each parameter of the project's patterns stands for, by its name."""
    objects, referrals = world.objects, world.referrals
    return {
        "referral_uuid": [referrals["case"].uuid, referrals["received"].uuid],
        "person_uuid": [world.people[0].uuid, world.people[1].uuid],
        "duplicate_uuid": [objects["pair"].uuid],
        "notification_uuid": [notice.uuid for notice in objects["notices"].values()],
        "user_uuid": [world.users["link_worker"].uuid, world.users["peer_navigator"].uuid],
        "goal_uuid": [objects["goal"].uuid],
        "connection_uuid": [objects["connection"].uuid],
        "uuid": [objects["service"].uuid, objects["change"].uuid],
        "run_uuid": [objects["run"].uuid],
        "instrument_code": [objects["instrument"].code],
        "timepoint": ["baseline", "review"],
        "action": ["accept"],
        "decision": ["merge"],
        "ods_code": [objects["practice"].ods_code],
        "table_key": ["referrals"],
        "id": [referrals["case"].uuid, objects["service"].uuid],
        "reference": [referrals["case"].reference],
        "uidb64": ["MQ"],
        "token": ["set-password"],
        "vid": ["1"],  # a FHIR resource's version (/fhir/ServiceRequest/<id>/_history/<vid>)
    }


def guessed_values(name, converter, world):
    """For a parameter of a name not known above (a page added later).

    `<uuid:thing_uuid>`: the first rows of the model called `thing`, if there is
    one; then, and for any other name, every person's and referral's id (and
    reference, where the converter takes text), Glenys's first.
    """
    found = []
    if name.endswith("_uuid"):
        wanted = name.removesuffix("_uuid").replace("_", "")
        for model in apps.get_models():
            if model._meta.model_name == wanted and any(
                field.name == "uuid" for field in model._meta.get_fields()
            ):
                found += model._default_manager.order_by("pk").values_list("uuid", flat=True)[:2]
    found += [person.uuid for person in world.people]
    found += [referral.uuid for referral in world.referrals.values()]
    if not isinstance(converter, UUIDConverter):
        found += [referral.reference for referral in world.referrals.values()]
    return found


def parameters(pattern):
    """(name, converter or None) of each parameter of `pattern`, and any choices of words."""
    found, choices = [], {}
    for piece in pattern.pieces:
        if isinstance(piece, RoutePattern):
            found += [
                (match["name"], piece.converters.get(match["name"]))
                for match in ROUTE_PARAMETER.finditer(str(piece))
            ]
        elif isinstance(piece, RegexPattern):
            for match in REGEX_GROUP.finditer(str(piece)):
                if re.fullmatch(r"\w+(\|\w+)*", match["body"]):
                    # A choice of words (the admin's app labels): each of them.
                    choices[match["name"]] = match["body"].split("|")
                found.append((match["name"], None))
    return found, choices


def candidates(pattern, world, values):
    """Each set of path parameters to try for `pattern`."""
    names, choices = parameters(pattern)
    values = {**values, **choices}
    if pattern.model_admin is not None:
        model = pattern.model_admin.model
        rows = list(model._default_manager.order_by("pk")[:ADMIN_ROWS_PER_MODEL])
        values["object_id"] = [row.pk for row in rows] or ["0"]
    options = [values.get(name) or guessed_values(name, conv, world) for name, conv in names]
    combos = itertools.islice(itertools.product(*options), COMBINATIONS_PER_PATTERN)
    return [dict(zip([name for name, _conv in names], combo, strict=True)) for combo in combos]


def address(pattern, kwargs):
    """The path of `pattern` with `kwargs` in place of its parameters."""
    path = ""
    for piece in pattern.pieces:
        if isinstance(piece, LocalePrefixPattern):
            path += piece.language_prefix
        elif isinstance(piece, RoutePattern):
            path += ROUTE_PARAMETER.sub(
                lambda m, piece=piece: str(piece.converters[m["name"]].to_url(kwargs[m["name"]])),
                str(piece),
            )
        else:
            text = REGEX_GROUP.sub(lambda m: str(kwargs[m["name"]]), str(piece))
            path += text.removeprefix("^").removesuffix("$").replace("/?", "/")
    return "/" + path


# The walk -------------------------------------------------------------------------


def body_of(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return content.decode("utf-8", errors="replace")


def walk(client, world, who, *, headers=None, only=lambda pattern: True):
    """GET every pattern `only` keeps; the problems found, in words."""
    values = known_values(world)
    problems = []
    for pattern in every_pattern():
        if not only(pattern):
            continue
        reached = False
        for kwargs in candidates(pattern, world, values):
            path = address(pattern, kwargs)
            try:
                reached_here = resolve(path).func is pattern.callback
            except Resolver404:
                reached_here = False
            if not reached_here:
                continue  # not this pattern's address (a value of the wrong shape)
            reached = True
            query = QUERIES.get(pattern.name)
            url = f"{path}?{query(world)}" if query else path
            problems += check_one(client, world, who, url, headers or {})
        if not reached:
            problems.append(f"{pattern.name}: the walker could not make an address for it")
    return problems


def check_one(client, world, who, url, headers):
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = client.get(url, headers=headers)
    text = body_of(response)
    shown = world.people_shown(text)
    events = list(AuditEvent.objects.filter(pk__gt=last).prefetch_related("subjects"))
    if not shown:
        return [] if len(events) <= 1 else [f"{who} GET {url}: {len(events)} audit rows"]
    names = sorted(f"{p.given_name} {p.family_name}" for p in shown)
    if len(events) != 1:
        return [
            f"{who} GET {url} ({response.status_code}) shows {names} with {len(events)} audit rows"
        ]
    event = events[0]
    problems = []
    actor = world.objects["api_client"] if who == "API client" else world.users.get(who)
    if (event.api_client if who == "API client" else event.actor) != actor:
        problems.append(f"{who} GET {url}: the audit row names {event.actor or event.api_client}")
    subjects = {subject.person_uuid for subject in event.subjects.all()}
    unnamed = sorted(f"{p.given_name} {p.family_name}" for p in shown if p.uuid not in subjects)
    if unnamed:
        problems.append(f"{who} GET {url} shows {unnamed} without naming them in its audit row")
    references = world.references_shown(text) - set(event.records)
    if references:
        problems.append(f"{who} GET {url} shows {sorted(references)} not in its audit row")
    return problems


@pytest.fixture
def world():
    return build_world()


@pytest.mark.parametrize(
    "who",
    [
        "referrer",
        "link_worker",
        "coordinator",
        "provider",
        "commissioner",
        "peer_navigator",
        "dpo",
        "anonymous",
    ],
)
def test_every_page_that_shows_a_person_names_them_in_one_audit_row(client, world, who):
    if who != "anonymous":
        client.force_login(world.users[who])
    problems = walk(client, world, who, only=lambda pattern: not pattern.is_admin)
    assert not problems, "\n".join(problems)


def test_every_admin_page_that_shows_a_person_names_them_in_one_audit_row(client, world):
    client.force_login(world.users["admin"])
    problems = walk(client, world, "admin")
    assert not problems, "\n".join(problems)


def test_every_api_answer_that_shows_a_person_names_them_in_one_audit_row(client, world):
    headers = {"Authorization": f"Bearer {world.api_token}"}
    problems = walk(client, world, "API client", headers=headers, only=lambda p: p.is_api)
    assert not problems, "\n".join(problems)


def test_the_walk_finds_people_to_audit(client, world):
    """The walk proves something only if the pages it opens do show the people."""
    client.force_login(world.users["coordinator"])
    shown = world.people_shown(body_of(client.get("/referrals/")))
    assert {person.family_name for person in shown} >= {"Quarrington", "Tregaron", "Penhallow"}
    assert "Trefgarne" not in {person.family_name for person in shown}  # another scheme's


@pytest.mark.parametrize(
    "who",
    ["referrer", "link_worker", "coordinator", "provider", "commissioner", "peer_navigator", "dpo"],
)
def test_the_admin_shows_nothing_to_anyone_but_staff(client, world, who):
    client.force_login(world.users[who])
    person = world.people[0]
    for url in (
        "/admin/",
        f"/admin/referrals/person/{person.pk}/change/",
        "/admin/referrals/referral/",
        f"/admin/referrals/person/{person.pk}/history/",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


# Every admin of rows that show people is audited ------------------------------------


def _reaches_a_person(model, depth=3, seen=()):
    """Whether `model`'s rows lead to a person by foreign keys (or hold people's uuids)."""
    person = apps.get_model("referrals", "Person")
    if model is person:
        return True
    if depth == 0 or model in seen:
        return False
    for field in model._meta.get_fields():
        if field.one_to_many and _holds_person_uuids(field.related_model):
            return True  # the audit trail's events and the people they name
        forward = (field.many_to_one or field.one_to_one) and field.concrete
        if forward and _reaches_a_person(field.related_model, depth - 1, (*seen, model)):
            return True
    return False


def _holds_person_uuids(model):
    return any(field.name == "person_uuid" for field in model._meta.get_fields())


def test_every_admin_of_rows_that_name_people_audits_its_pages():
    missing = [
        model._meta.label_lower
        for model, model_admin in admin.site._registry.items()
        if _reaches_a_person(model) and not isinstance(model_admin, AuditedReadsAdmin)
    ]
    assert not missing, f"these admins show people without auditing it: {missing}"
