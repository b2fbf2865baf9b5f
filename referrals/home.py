"""The referral work each role sees on its home page (config.views asks for it by role).

Each part also gives, under SHOWN, the referrals whose people it shows, so that the
home page writes one audit row naming all of them (referrals.services.reads).
"""

from . import selectors

HOME_LIST_SIZE = 10
SHOWN = "shown_referrals"


def referrer_home(user):
    recent = list(selectors.referral_list_for(user)[:HOME_LIST_SIZE])
    return {
        "recent_referrals": recent,
        "unread_notifications": selectors.unread_notification_count(user),
        SHOWN: recent,
    }


def coordinator_home(user):
    triage = list(selectors.triage_queue_for(user)[:HOME_LIST_SIZE])
    return {"triage_referrals": triage, SHOWN: triage}


def link_worker_home(user):
    # Not listed on the page (the caseload, from linkworkers, is): nothing shown to audit.
    return {"open_cases": selectors.open_cases_for(user)}
