"""The caseload on the link worker's home page, a peer navigator's cases on theirs, a
provider's waiting referrals on theirs (config.views asks for them by role). Each gives,
under SHOWN, the referrals whose people it shows, for the page's one audit row."""

from referrals.home import SHOWN

from .forms import ConnectionAttendanceForm, ConnectionDeclineForm
from .models import ConnectionStatus
from .selectors import caseload_for, connections_for_provider, peer_case_list_for

HOME_LIST_SIZE = 10


def link_worker_home(user):
    caseload = caseload_for(user)
    first = caseload.rows[:HOME_LIST_SIZE]
    return {
        "caseload": caseload,
        "caseload_first": first,
        SHOWN: [row.referral for row in first],
    }


def peer_navigator_home(user):
    cases = list(peer_case_list_for(user))
    return {"peer_cases": cases, SHOWN: cases}


def provider_rows(connections):
    """Each connection with its decline and attendance forms, for the provider's list."""
    return [
        (
            row,
            ConnectionDeclineForm(prefix=f"d-{row.uuid}", initial={"version": row.version}),
            ConnectionAttendanceForm(prefix=f"a-{row.uuid}", initial={"version": row.version}),
        )
        for row in connections
    ]


def provider_home(user):
    """Provider staff: the referrals to their services still waiting for an answer."""
    waiting = list(
        connections_for_provider(user).filter(status=ConnectionStatus.REFERRED)[:HOME_LIST_SIZE]
    )
    return {
        "provider_connections": provider_rows(waiting),
        SHOWN: [connection.referral for connection in waiting],
    }
