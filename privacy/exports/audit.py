"""The audit viewer's pages as CSV files: the same rows and filters as on screen.

Every cell that holds text someone typed (names, pages, details, references)
goes through reporting's `safe_text`, so a spreadsheet never runs it as a
formula (CSV injection: text starting with = + - @ gets a leading apostrophe).
"""

import csv
import io
from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from reporting.exports import CSV_CONTENT_TYPE, safe_text

from ..selectors.audit import AuditRow, UnusualDay

__all__ = ["CSV_CONTENT_TYPE", "trail_csv", "unusual_csv"]


def _when(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S}"


def _user_cells(user: User | None) -> list[str]:
    if user is None:
        return ["", "", ""]
    organisation = user.organisation.display_name if user.organisation else ""
    return [
        safe_text(user.get_full_name() or user.username),
        safe_text(user.get_role_display()),
        safe_text(organisation),
    ]


def _write(header: list[str], lines: Iterable[list[str | int]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(lines)
    return out.getvalue()


def trail_csv(rows: Iterable[AuditRow]) -> str:
    """One line per event: when, who, what, which page, whom it named, from where."""
    header = [
        _("When"), _("Who"), _("Role"), _("Organisation"), _("Partner system"), _("What"),
        _("Detail"), _("Page"), _("People"), _("People's identifiers"),
        _("People outside this scheme"), _("Records"), _("From where"),
    ]  # fmt: skip
    return _write(header, (_trail_line(row) for row in rows))


def _trail_line(row: AuditRow) -> list[str | int]:
    event = row.event
    client = event.api_client
    return [
        _when(event.created_at),
        *_user_cells(event.actor),
        safe_text(f"{client.name} ({client.organisation.display_name})") if client else "",
        safe_text(event.get_action_display()),
        safe_text(event.detail),
        safe_text(event.path),
        safe_text("; ".join(str(person) for person in row.people)),
        "; ".join(str(person.uuid) for person in row.people),
        row.others,
        safe_text("; ".join(row.records)),
        event.ip_address or "",
    ]


def unusual_csv(days: Iterable[UnusualDay]) -> str:
    """One line per flagged day of one user, with the reason in words."""
    header = [
        _("Day"), _("Who"), _("Role"), _("Organisation"), _("Why it is flagged"), _("People"),
        _("Reads"), _("First"), _("Last"),
    ]  # fmt: skip
    return _write(
        header,
        (
            [
                day.day.isoformat(),
                *_user_cells(day.user),
                safe_text(day.reason),
                day.people,
                day.reads,
                _when(day.first_at),
                _when(day.last_at),
            ]
            for day in days
        ),
    )
