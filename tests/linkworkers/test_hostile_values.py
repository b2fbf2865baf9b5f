"""Hostile values in every free-text field, on every page that shows a person (issue 11, finding 2).

Glenys's record is filled, field by field, with markup that would run script
if any page printed it unescaped: her names, address and needs, what the
referrer wrote, the notes of contacts and events, the plan, the connection
notes, the closure summary, supervision notes, even the names of the service
and provider she is connected to. Each value carries its own tag, so a
failure names the field. Then everyone who may see her opens their pages:
the raw markup must never appear, and the page must show the value escaped
(the test would prove nothing if the field were not on the page at all).

The pages span every app; the stories' people and their case live in this
folder's conftest, hence the file's place.
"""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from linkworkers.models import ClosureSummary, ConnectionStatus, SupervisionNote
from referrals.models import Notification, PersonAsReferred, ReferralEvent, Status
from tests.factories import (
    ConnectionFactory,
    ContactFactory,
    GoalFactory,
    InstrumentFactory,
    ItemFactory,
    LocationFactory,
    ReferralFactory,
    ServiceAtLocationFactory,
    ServiceFactory,
    UnmetNeedFactory,
    UserFactory,
    WhatMattersFactory,
)

pytestmark = pytest.mark.django_db


def hostile(tag: str) -> str:
    """Breaks out of an attribute, a textarea and a text node at once; short for 100-char names."""
    return f'"><svg/onload=x({tag})></textarea><script>x({tag})</script>'


def escaped(tag):
    return f"&lt;svg/onload=x({tag})&gt;"


@pytest.fixture
def hostile_world(case, gp, link_worker, coordinator, practice, scheme, cluster, prys, gardening,
                  peer_navigator, attached, other_link_worker):  # fmt: skip
    """Glenys's whole record, every free-text field hostile; and what shows it."""
    now = timezone.now()
    person = case.person
    person.given_name, person.family_name = hostile("given"), hostile("family")
    person.preferred_name, person.address = hostile("preferred"), hostile("address")
    person.communication_needs, person.consent_method = hostile("needs"), hostile("consent")
    person.save()

    case.status = Status.IN_PROGRESS
    case.referrer_name, case.referrer_role = hostile("refname"), hostile("refrole")
    case.reasons, case.reason_other = ["loneliness", "other"], hostile("reason")
    case.what_matters = hostile("matters")
    case.risk_flag, case.risk_details = True, hostile("risk")
    # What the referrer typed is kept on the referral and is what referrers are shown.
    case.person_details_as_referred = PersonAsReferred.snapshot_of(person)
    case.save()

    gp.first_name, gp.last_name = hostile("gpfirst"), hostile("gplast")
    gp.save()
    other_link_worker.last_name = hostile("lwname")
    other_link_worker.save()
    practice.name = hostile("practice")
    practice.save()

    ReferralEvent.objects.create(
        referral=case,
        kind=ReferralEvent.Kind.NOTE,
        actor=link_worker,
        note=hostile("event"),
        visible_to_referrer=True,
        created_at=now,
    )
    ContactFactory(referral=case, notes=hostile("contact"), recorded_by=link_worker)
    ContactFactory(referral=case, notes=hostile("peercontact"), recorded_by=peer_navigator)
    WhatMattersFactory(
        referral=case,
        what_matters=hostile("wmwhat"),
        strengths=hostile("wmstrengths"),
        want_to_change=hostile("wmchange"),
    )
    GoalFactory(referral=case, description=hostile("goal"), progress_notes=hostile("progress"))

    gardening.name, gardening.description = hostile("service"), hostile("servicedesc")
    gardening.eligibility, gardening.how_to_access = hostile("eligible"), hostile("howto")
    gardening.save()
    gardening.provider.name = hostile("provider")
    gardening.provider.save()
    ServiceAtLocationFactory(
        service=gardening,
        location=LocationFactory(
            provider=gardening.provider,
            name=hostile("hall"),
            address_1=hostile("street"),
            city=hostile("city"),
        ),
    )
    ConnectionFactory(
        referral=case,
        service=gardening,
        created_by=link_worker,
        status=ConnectionStatus.REFERRED,
        referred_at=now,
        note_for_provider=hostile("forprovider"),
    )
    ConnectionFactory(
        referral=case,
        service=ServiceFactory(name=hostile("declinedsvc")),
        created_by=link_worker,
        status=ConnectionStatus.DECLINED,
        referred_at=now,
        answered_at=now,
        decline_reason="other",
        decline_details=hostile("declined"),
    )
    ConnectionFactory(
        referral=case,
        service=ServiceFactory(name=hostile("stoppedsvc")),
        created_by=link_worker,
        status=ConnectionStatus.STOPPED,
        referred_at=now,
        stop_reason=hostile("stopped"),
    )
    UnmetNeedFactory(referral=case, notes=hostile("unmet"), recorded_by=link_worker)
    SupervisionNote.objects.create(
        link_worker=link_worker,
        referral=case,
        author=coordinator,
        text=hostile("supervision"),
        created_at=now,
    )
    for who in (gp, prys):
        Notification.objects.create(
            recipient=who, referral=case, message=hostile("notice"), created_at=now
        )
    instrument = InstrumentFactory(name=hostile("instrument"))
    ItemFactory(instrument=instrument, text=hostile("item"), label=hostile("itemlabel"))

    received = ReferralFactory(
        referring_user=gp,
        referring_organisation=practice,
        scheme=scheme,
        area=cluster,
        person=person,
        what_matters=hostile("triage"),
    )
    accepted = ReferralFactory(
        referring_user=gp,
        referring_organisation=practice,
        scheme=scheme,
        area=cluster,
        person=person,
        status=Status.ACCEPTED,
        accepted_at=now,
        what_matters=hostile("waiting"),
    )
    rejected = ReferralFactory(
        referring_user=gp,
        referring_organisation=practice,
        scheme=scheme,
        area=cluster,
        person=person,
        status=Status.REJECTED,
        rejected_at=now,
        rejection_reason="other",
        suggested_alternative=hostile("alternative"),
    )
    closed = ReferralFactory(
        referring_user=gp,
        referring_organisation=practice,
        scheme=scheme,
        area=cluster,
        person=person,
        status=Status.CLOSED,
        link_worker=link_worker,
        allocated_at=now,
        closed_at=now,
        closure_reason="completed",
        closure_summary=hostile("summary"),
    )
    ClosureSummary.objects.create(
        referral=closed,
        reason="completed",
        written_by=link_worker,
        what_mattered=hostile("csmattered"),
        connected_to=hostile("csconnected"),
        outcomes=hostile("csoutcomes"),
        follow_up=hostile("csfollow"),
        created_at=now,
    )
    admin = UserFactory(username="aled-admin", role=Role.ADMIN, is_staff=True, is_superuser=True)
    return {
        "case": case,
        "received": received,
        "accepted": accepted,
        "rejected": rejected,
        "closed": closed,
        "instrument": instrument,
        "service": gardening,
        "users": {
            "referrer": gp,
            "link_worker": link_worker,
            "coordinator": coordinator,
            "provider": prys,
            "peer_navigator": peer_navigator,
            "admin": admin,
            "anonymous": None,
        },
    }


def _case(name, key="case"):
    return lambda w: reverse(name, args=[w[key].uuid])


# (page, who opens it, its address, the fields it must show escaped)
PAGES = [
    ("referral detail", "referrer", _case("referrals:detail"),
     ["given", "family", "preferred", "matters", "risk", "reason", "refname", "refrole", "event",
      "practice", "gpfirst", "gplast"]),
    ("referral detail", "link_worker", _case("referrals:detail"),
     ["given", "family", "preferred", "address", "needs", "matters", "risk", "reason", "refname",
      "refrole", "event", "practice"]),
    ("referral detail", "coordinator", _case("referrals:detail"),
     ["given", "family", "preferred", "address", "needs", "matters", "risk", "reason", "refname",
      "refrole", "event", "practice"]),
    ("referral detail, rejected", "referrer", _case("referrals:detail", "rejected"),
     ["given", "alternative"]),
    ("referral detail, closed", "referrer", _case("referrals:detail", "closed"),
     ["given", "summary"]),
    ("triage", "coordinator", lambda w: reverse("referrals:triage"), ["given", "family"]),
    ("referral list", "referrer", lambda w: reverse("referrals:list"),
     ["given", "family", "gpfirst", "gplast"]),
    ("referral list", "link_worker", lambda w: reverse("referrals:list"), ["given", "family"]),
    ("referral list", "coordinator", lambda w: reverse("referrals:list"), ["given", "family"]),
    ("notifications", "referrer", lambda w: reverse("notifications:list"), ["notice"]),
    ("notifications", "provider", lambda w: reverse("notifications:list"), ["notice"]),
    ("caseload", "link_worker", lambda w: reverse("linkworkers:caseload"), ["given", "family"]),
    ("caseload", "coordinator", lambda w: reverse("linkworkers:caseload"), ["given", "family"]),
    ("case overview", "link_worker", _case("linkworkers:case"),
     ["given", "family", "preferred", "risk", "contact", "peercontact", "matters", "needs",
      "refname", "practice"]),
    ("what matters", "link_worker", _case("linkworkers:what_matters"),
     ["given", "risk", "wmwhat", "wmstrengths", "wmchange", "goal", "progress"]),
    ("people", "link_worker", _case("linkworkers:people"), ["given", "family", "risk"]),
    ("connections", "link_worker", _case("linkworkers:connections"),
     ["given", "service", "provider", "declinedsvc", "declined", "stoppedsvc", "stopped",
      "unmet"]),
    ("outcomes", "link_worker", _case("linkworkers:outcomes"), ["given", "instrument"]),
    ("outcome record", "link_worker",
     lambda w: reverse("linkworkers:outcome_record",
                       args=[w["case"].uuid, w["instrument"].code, "baseline"]),
     ["given", "instrument", "item"]),
    ("close", "link_worker", _case("linkworkers:close"), ["given", "family", "wmwhat"]),
    ("close, closed", "link_worker", _case("linkworkers:close", "closed"), ["given", "summary"]),
    ("prescription", "link_worker", _case("linkworkers:prescription"),
     ["preferred", "goal", "service", "provider", "hall", "street", "city"]),
    ("peer case", "peer_navigator", _case("linkworkers:peer_case"),
     ["given", "preferred", "goal", "peercontact"]),
    ("provider connections", "provider", lambda w: reverse("providers:connections"),
     ["preferred", "needs", "forprovider", "service"]),
    ("waiting list", "coordinator", lambda w: reverse("linkworkers:waiting"), ["given", "family"]),
    ("team", "coordinator", lambda w: reverse("linkworkers:team"), ["lwname"]),
    ("supervision", "link_worker", lambda w: reverse("linkworkers:supervision"),
     ["given", "supervision"]),
    ("supervision", "coordinator",
     lambda w: reverse("linkworkers:supervision_for", args=[w["users"]["link_worker"].uuid]),
     ["given", "supervision"]),
    ("GP extract", "referrer", lambda w: reverse("reporting:gp_extract"),
     ["practice", "gpfirst"]),
    ("service page", "anonymous", lambda w: reverse("directory:service", args=[w["service"].uuid]),
     ["service", "servicedesc", "eligible", "howto", "provider", "hall", "street", "city"]),
    ("directory search", "anonymous", lambda w: reverse("directory:search"),
     ["service", "servicedesc", "provider"]),
    ("admin person", "admin",
     lambda w: reverse("admin:referrals_person_change", args=[w["case"].person.pk]),
     ["given", "family", "preferred", "address", "needs", "consent"]),
]  # fmt: skip

# The markup as it would be if printed raw, in any of the ways the value breaks out.
RAW = re.compile(r"<svg/onload=x\((\w+)\)>|<script>x\((\w+)\)</script>")


@pytest.mark.parametrize(("page", "who", "address", "shown"), PAGES,
                         ids=[f"{p[0]} as {p[1]}" for p in PAGES])  # fmt: skip
def test_no_field_reaches_the_page_unescaped(client, hostile_world, page, who, address, shown):
    user = hostile_world["users"][who]
    if user is not None:
        client.force_login(user)
    response = client.get(address(hostile_world))
    assert response.status_code == 200
    html = response.content.decode()
    leaked = {a or b for a, b in RAW.findall(html)}
    assert not leaked, f"{page} as {who}: these fields reach the HTML unescaped: {leaked}"
    missing = [tag for tag in shown if escaped(tag) not in html]
    assert not missing, f"{page} as {who}: these fields are not on the page at all: {missing}"
