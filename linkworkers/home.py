"""The caseload on the link worker's home page, a peer navigator's cases on theirs (apps.py)."""

from .forms import ConnectionAttendanceForm, ConnectionDeclineForm
from .models import ConnectionStatus
from .selectors import caseload_for, connections_for_provider, peer_case_list_for

HOME_LIST_SIZE = 10


def link_worker_home(user):
    caseload = caseload_for(user)
    return {"caseload": caseload, "caseload_first": caseload.rows[:HOME_LIST_SIZE]}


def peer_navigator_home(user):
    return {"peer_cases": list(peer_case_list_for(user))}


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
    waiting = connections_for_provider(user).filter(status=ConnectionStatus.REFERRED)
    return {"provider_connections": provider_rows(waiting[:HOME_LIST_SIZE])}
