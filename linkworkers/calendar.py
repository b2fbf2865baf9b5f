"""The diary as an iCalendar (RFC 5545) feed, for the link worker's own calendar app.

The feed leaves the app's protection (a phone's calendar, a synced account),
so it carries no one's personal details: each event is a kind of date and an
SP- reference, all day, with a link back to the case (which asks for a
sign-in). No name, no notes, no contact details.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.urls import reverse
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from .selectors import DiaryEntry

PRODUCT_ID = "-//Social prescribing referral manager//Diary//EN"


def diary_calendar(entries: Iterable[DiaryEntry], *, now: datetime, site_url: str) -> bytes:
    """One all-day event per outstanding date; the same UID for the same date of the same case."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _("Social prescribing diary"))
    # Calendar apps may look again this often (RFC 7986 REFRESH-INTERVAL and the older hint).
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    host = site_url.split("://", 1)[-1].split("/", 1)[0] or "localhost"
    for entry in entries:
        event = Event()
        event.add("uid", f"{entry.kind}-{entry.referral.uuid}@{host}")
        event.add("dtstamp", now)
        event.add("dtstart", entry.on)
        event.add("dtend", entry.on + timedelta(days=1))
        event.add("summary", f"{entry.label}: {entry.referral.reference}")
        event.add("transp", "TRANSPARENT")
        event.add("class", "PRIVATE")
        event.add("categories", [entry.kind])
        event.add(
            "url", site_url.rstrip("/") + reverse("linkworkers:case", args=[entry.referral.uuid])
        )
        calendar.add_component(event)
    return calendar.to_ical()
