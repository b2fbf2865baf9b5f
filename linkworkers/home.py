"""The caseload on the link worker's home page (registered in apps.py)."""

from .selectors import caseload_for

HOME_LIST_SIZE = 10


def link_worker_home(user):
    caseload = caseload_for(user)
    return {"caseload": caseload, "caseload_first": caseload.rows[:HOME_LIST_SIZE]}
