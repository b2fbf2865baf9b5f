"""Subject access: everything a scheme holds about one person, given to them (UK GDPR art. 15)."""

from django.db import transaction
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, Organisation, User
from accounts.services import audit_record
from core.exceptions import Refused
from referrals.models import Person, Referral
from referrals.selectors import DATA_PROTECTION_ROLES

from ..selectors.subject_access import Json, subject_access_data

COMMAND = "subject_access_export"


def may_export_for(actor: User, scheme: Organisation) -> bool:
    """The scheme's data protection officer and its coordinators may export its people's records."""
    return bool(
        actor.is_active
        and actor.role in DATA_PROTECTION_ROLES
        and actor.organisation_id == scheme.pk
    )


def subject_access_bundle(
    *,
    person: Person,
    scheme: Organisation,
    actor: User | None,
    request: HttpRequest | None = None,
) -> Json:
    """Everything `scheme` holds about `person`, as one structure (privacy.selectors), audited.

    The one door for the page's downloads and the `subject_access_export`
    command (actor None: the operator, no one signed in). Only the person's
    referrals to `scheme` and what hangs off them are in it; the labels are
    in the person's preferred language, since the bundle is for them.
    Writes one EXPORT audit row naming the person and their referrals, in
    the same transaction, before reading: the bundle's access log shows this
    export too. Refused (404) for anyone but the scheme's data protection
    officer or coordinator, and for a person with no referral to the scheme.
    """
    if actor is not None and not may_export_for(actor, scheme):
        raise Refused(_("Only the scheme's data protection officer or coordinator can do this."))
    references = list(
        Referral.objects.filter(person=person, scheme=scheme)
        .order_by("received_at", "pk")
        .values_list("reference", flat=True)
    )
    if not references:
        raise Refused(_("This person has no referral to the scheme."))
    # Who ran it first: audit_record keeps 500 characters, and a long list of references is cut.
    by = f" by the {COMMAND} command" if actor is None else ""
    detail = f"subject access export{by}; referrals {', '.join(references)}"
    with transaction.atomic(), translation.override(person.preferred_language):
        audit_record(
            actor=actor,
            action=AuditEvent.Action.EXPORT,
            obj=person,
            request=request,
            detail=detail,
            records=references,
        )
        produced_by = (
            f"{actor} ({actor.get_role_display()})"
            if actor is not None
            else _("the %(command)s command") % {"command": COMMAND}
        )
        return subject_access_data(person=person, scheme=scheme, produced_by=produced_by)
