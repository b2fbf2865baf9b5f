"""The caseload on the link worker's home page, a peer navigator's cases on theirs (apps.py)."""

from .selectors import caseload_for, peer_case_list_for

HOME_LIST_SIZE = 10


def link_worker_home(user):
    caseload = caseload_for(user)
    return {"caseload": caseload, "caseload_first": caseload.rows[:HOME_LIST_SIZE]}


def peer_navigator_home(user):
    return {"peer_cases": list(peer_case_list_for(user))}
