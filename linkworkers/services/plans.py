"""The "what matters" conversation and the goals of the plan."""

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, User
from accounts.services import audit_record
from core.exceptions import StaleVersion, ValidationError
from referrals.models import (
    Referral,
    ReferralEvent,
)

from ..models import (
    NOTE_LIMIT,
    Goal,
    GoalStatus,
    WhatMatters,
)
from .cases import lock_open_case, not_theirs, raise_if, too_long

GOAL_LIMIT = 300


def what_matters_save(
    *,
    referral: Referral,
    actor: User,
    expected_version: int,
    what_matters: str,
    strengths: str = "",
    want_to_change: str = "",
    request: HttpRequest | None = None,
) -> WhatMatters:
    """Save the "what matters" record; `expected_version` 0 means "there was none yet".

    An edit made against an older version is refused, never silently
    overwriting what a colleague saved in the meantime.
    """
    errors: dict[str, list[str]] = {}
    if not (what_matters or "").strip():
        errors["what_matters"] = [_("Write what matters to the person, in their words.")]
    for key, text in (
        ("what_matters", what_matters),
        ("strengths", strengths),
        ("want_to_change", want_to_change),
    ):
        if len(text or "") > NOTE_LIMIT:
            errors[key] = [too_long(NOTE_LIMIT)]
    raise_if(errors)

    with transaction.atomic():
        # Locking the referral also serialises the first save, when no record exists to lock.
        locked = lock_open_case(referral=referral, actor=actor, refusal=not_theirs("what_matters"))
        record = WhatMatters.objects.filter(referral=locked).select_related("updated_by").first()
        current = record.version if record else 0
        if expected_version != current:
            raise StaleVersion(
                _(
                    "Someone saved what matters for this person while you were editing it. "
                    "Nothing you entered was saved: read their version and try again."
                )
            )
        now = timezone.now()
        fields: dict[str, object] = {
            "what_matters": what_matters.strip(),
            "strengths": (strengths or "").strip(),
            "want_to_change": (want_to_change or "").strip(),
            "updated_by": actor,
            "updated_at": now,
        }
        if record is None:
            record = WhatMatters.objects.create(referral=locked, version=1, **fields)
        else:
            for key, value in fields.items():
                setattr(record, key, value)
            record.version += 1
            record.save()
        ReferralEvent.objects.create(
            referral=locked, kind=ReferralEvent.Kind.NOTE, actor=actor,
            note=_("What matters recorded."), visible_to_referrer=False, created_at=now,
        )  # fmt: skip
        audit_record(
            actor=actor, action=AuditEvent.Action.CHANGE, obj=locked.person, request=request,
            detail=f"what matters on referral {locked.reference}, version {record.version}",
        )  # fmt: skip
    return record


def _check_goal(
    *, description: str | None = None, progress_notes: str = "", status: str | None = None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if description is not None:
        if not description.strip():
            errors["description"] = [_("Describe the goal in a few words.")]
        elif len(description) > GOAL_LIMIT:
            errors["description"] = [too_long(GOAL_LIMIT)]
    if status is not None and status not in GoalStatus.values:
        errors["status"] = [_("Choose a status.")]
    if len(progress_notes or "") > NOTE_LIMIT:
        errors["progress_notes"] = [too_long(NOTE_LIMIT)]
    return errors


def goal_add(
    *,
    referral: Referral,
    actor: User,
    description: str,
    target_date: date | None = None,
    request: HttpRequest | None = None,
) -> Goal:
    """Add a goal the person agreed to the plan."""
    errors = _check_goal(description=description)
    if target_date and target_date < timezone.localdate():
        errors["target_date"] = [_("Choose a target date that is today or later.")]
    raise_if(errors)
    with transaction.atomic():
        locked = lock_open_case(referral=referral, actor=actor, refusal=not_theirs("plan"))
        now = timezone.now()
        goal = Goal.objects.create(
            referral=locked, description=description.strip(), target_date=target_date,
            created_by=actor, created_at=now, updated_at=now,
        )  # fmt: skip
        ReferralEvent.objects.create(
            referral=locked, kind=ReferralEvent.Kind.NOTE, actor=actor,
            note=_("Goal agreed: %(goal)s") % {"goal": goal.description},
            visible_to_referrer=False, created_at=now,
        )  # fmt: skip
        audit_record(
            actor=actor, action=AuditEvent.Action.CREATE, obj=goal, request=request,
            detail=f"goal on referral {locked.reference}",
        )  # fmt: skip
    return goal


def goal_update(
    *,
    goal: Goal,
    actor: User,
    status: str,
    progress_notes: str = "",
    target_date: date | None = None,
    request: HttpRequest | None = None,
) -> Goal:
    """Record a goal's progress: its status, notes and target date."""
    raise_if(_check_goal(status=status, progress_notes=progress_notes))
    with transaction.atomic():
        locked = lock_open_case(referral=goal.referral, actor=actor, refusal=not_theirs("plan"))
        goal = Goal.objects.select_for_update().get(pk=goal.pk, referral=locked)
        now = timezone.now()
        status_changed = goal.status != status
        goal.status = status
        goal.progress_notes = (progress_notes or "").strip()
        goal.target_date = target_date
        goal.updated_at = now
        goal.save()
        if status_changed:
            notes: dict[str, str] = {
                GoalStatus.NOT_STARTED: _("Goal not started: %(goal)s"),
                GoalStatus.IN_PROGRESS: _("Goal in progress: %(goal)s"),
                GoalStatus.ACHIEVED: _("Goal achieved: %(goal)s"),
                GoalStatus.STOPPED: _("Goal stopped: %(goal)s"),
            }
            note = notes[status] % {"goal": goal.description}
            ReferralEvent.objects.create(
                referral=locked, kind=ReferralEvent.Kind.NOTE, actor=actor, note=note,
                visible_to_referrer=False, created_at=now,
            )  # fmt: skip
        audit_record(
            actor=actor, action=AuditEvent.Action.CHANGE, obj=goal, request=request,
            detail=f"goal on referral {locked.reference}: {status}",
        )  # fmt: skip
    return goal


def plan_save(
    *,
    referral: Referral,
    actor: User,
    what_matters: dict[str, Any] | None = None,
    new_goal: dict[str, Any] | None = None,
    goal_changes: list[tuple[Goal, dict[str, Any]]] | None = None,
    request: HttpRequest | None = None,
) -> None:
    """Save the whole "what matters" tab at once: the record, a new goal, goals' progress.

    One save for the tab, so nothing typed in one part is lost when another
    part's button is pressed. Each part is saved by its own use case above,
    all in one transaction: when any part is refused, nothing is saved, and
    the ValidationError names each field as "<part>-<field>" (the part being
    "what_matters", "goal" or a goal's uuid) so the page puts every message
    beside its field. A stale "what matters" is a StaleVersion, as alone.
    """
    errors: dict[str, list[str]] = {}
    with transaction.atomic():
        steps: list[tuple[str, Callable[[], object]]] = []
        if what_matters is not None:
            steps.append(("what_matters", partial(
                what_matters_save, referral=referral, actor=actor, request=request, **what_matters
            )))  # fmt: skip
        if new_goal is not None:
            steps.append(("goal", partial(
                goal_add, referral=referral, actor=actor, request=request, **new_goal
            )))  # fmt: skip
        for goal, changes in goal_changes or []:
            steps.append((str(goal.uuid), partial(
                goal_update, goal=goal, actor=actor, request=request, **changes
            )))  # fmt: skip
        for part, step in steps:
            try:
                with transaction.atomic():
                    step()
            except ValidationError as error:
                for field, messages in error.field_errors.items():
                    errors.setdefault(f"{part}-{field}", []).extend(messages)
        if errors:
            # Leaving the block by this error rolls back the parts that were saved.
            raise_if(errors)
