"""Reads for the directory, shared by pages, API and reports (already scoped to the user)."""

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import Role, User

from .models import Service, ServiceChange, ServiceCheck

# Keeping the directory true: who keeps which listing, proposed changes, checks.

REVIEW_PERMISSION = "directory.review_servicechange"
# The fields a provider keeps current, in the order the edit form and the difference show them.
PROVIDER_EDITABLE_FIELDS = [
    "name",
    "name_cy",
    "description",
    "description_cy",
    "status",
    "is_free",
    "cost_description",
    "cost_description_cy",
    "eligibility",
    "eligibility_cy",
    "minimum_age",
    "maximum_age",
    "how_to_access",
    "how_to_access_cy",
    "welsh_offered",
    "other_languages",
    "access_route",
    "takes_direct_referrals",
    "capacity",
    "waiting_band",
    "email",
    "phone",
    "url",
]
# Roles that look at a service before referring someone to it.
CHECKING_ROLES = {Role.LINK_WORKER, Role.COORDINATOR}


def user_is_provider_staff(user) -> bool:
    return user.is_authenticated and user.role == Role.PROVIDER and user.organisation_id is not None


def user_can_review_changes(user) -> bool:
    return user.is_authenticated and user.has_perm(REVIEW_PERMISSION)


def user_can_check_services(user) -> bool:
    return user.is_authenticated and (
        user.role in CHECKING_ROLES or user.has_perm(REVIEW_PERMISSION)
    )


def user_manages_service(user, service: Service) -> bool:
    return (
        user_is_provider_staff(user)
        and service.provider.organisation_id is not None
        and service.provider.organisation_id == user.organisation_id
    )


def services_managed_by(user) -> QuerySet[Service]:
    """The services a provider's staff keep current, each with its pending change's uuid."""
    if not user_is_provider_staff(user):
        return Service.objects.none()
    pending = ServiceChange.objects.filter(
        service=OuterRef("pk"), status=ServiceChange.Status.PENDING
    ).values("uuid")[:1]
    return (
        Service.objects.filter(provider__organisation_id=user.organisation_id)
        .select_related("provider")
        .annotate(pending_change_uuid=Subquery(pending))
        .order_by("name", "pk")
    )


def service_managed_by(user, uuid) -> Service:
    """Access helper: the service if this user keeps it, else 404 (missing and not yours alike)."""
    try:
        return services_managed_by(user).get(uuid=uuid)
    except Service.DoesNotExist:
        raise Http404(_("No such service.")) from None


def service_change_pending(service: Service) -> ServiceChange | None:
    return service.changes.filter(status=ServiceChange.Status.PENDING).first()


def service_edit_initial(service: Service, pending: ServiceChange | None, fields) -> dict:
    """What the edit form starts from: the listing, with the provider's pending proposal on top."""
    initial = {name: getattr(service, name) for name in fields}
    if pending is not None:
        initial.update({k: v for k, v in pending.after.items() if k in initial})
    return initial


def service_changes_for_provider(user, *, limit: int = 20) -> QuerySet[ServiceChange]:
    """The latest proposals for this provider's services, pending and decided."""
    if not user_is_provider_staff(user):
        return ServiceChange.objects.none()
    return (
        ServiceChange.objects.filter(service__provider__organisation_id=user.organisation_id)
        .select_related("service", "proposed_by", "decided_by")
        .order_by("-proposed_at", "-pk")[:limit]
    )


def service_changes_pending_review(user) -> QuerySet[ServiceChange]:
    """The review queue: every pending change, oldest first, for directory editors."""
    if not user_can_review_changes(user):
        return ServiceChange.objects.none()
    return (
        ServiceChange.objects.filter(status=ServiceChange.Status.PENDING)
        .select_related("service__provider", "proposed_by")
        .order_by("proposed_at", "pk")
    )


def service_change_for_review(user, uuid) -> ServiceChange:
    """Access helper: a change (any status) for a directory editor, else 404."""
    if not user_can_review_changes(user):
        raise Http404(_("No such change."))
    try:
        return ServiceChange.objects.select_related(
            "service__provider", "proposed_by", "decided_by"
        ).get(uuid=uuid)
    except ServiceChange.DoesNotExist:
        raise Http404(_("No such change.")) from None


def _display(field, value) -> str:
    if value is None or value == "":
        return _("(empty)")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


def service_change_rows(change: ServiceChange) -> list[dict]:
    """The difference field by field, in the form's order: label, before and after, for people."""
    rows = []
    for name in PROVIDER_EDITABLE_FIELDS:
        if name not in change.after:
            continue
        field = Service._meta.get_field(name)
        rows.append(
            {
                "name": name,
                "label": str(field.verbose_name),
                "before": _display(field, change.before.get(name)),
                "after": _display(field, change.after[name]),
            }
        )
    return rows


def service_for_checks(user, uuid) -> Service:
    """Access helper for pre-referral checks: link workers, coordinators and editors; else 404."""
    if not user_can_check_services(user):
        raise Http404(_("No such service."))
    try:
        return Service.objects.select_related("provider", "reviewed_by").get(uuid=uuid)
    except Service.DoesNotExist:
        raise Http404(_("No such service.")) from None


def service_checks_recent(service: Service, *, limit: int = 10) -> list[ServiceCheck]:
    return list(
        service.checks.select_related("checked_by").order_by("-checked_on", "-created_at")[:limit]
    )


def service_latest_checks(service_ids) -> dict[int, ServiceCheck]:
    """The latest pre-referral check of each of these services, in one query (for lists)."""
    latest: dict[int, ServiceCheck] = {}
    checks = (
        ServiceCheck.objects.filter(service_id__in=list(service_ids))
        .select_related("checked_by")
        .order_by("service_id", "-checked_on", "-created_at")
    )
    for check in checks:
        latest.setdefault(check.service_id, check)
    return latest


def provider_staff(service: Service) -> QuerySet[User]:
    """Who hears about a listing: the active provider staff of the organisation that keeps it."""
    organisation_id = service.provider.organisation_id
    if organisation_id is None:
        return User.objects.none()
    return (
        User.objects.filter(role=Role.PROVIDER, organisation_id=organisation_id, is_active=True)
        .exclude(email="")
        .order_by("pk")
    )
