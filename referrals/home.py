"""The referral work each role sees on its home page (registered in apps.py)."""

from . import selectors

HOME_LIST_SIZE = 10


def referrer_home(user):
    return {
        "recent_referrals": selectors.referral_list_for(user)[:HOME_LIST_SIZE],
        "unread_notifications": selectors.unread_notification_count(user),
    }


def coordinator_home(user):
    return {"triage_referrals": selectors.triage_queue_for(user)[:HOME_LIST_SIZE]}


def link_worker_home(user):
    return {"open_cases": selectors.open_cases_for(user)}
