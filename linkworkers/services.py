"""Every change to a link worker's case: one function per use case.

Pages (and later the API) call these with keyword arguments. They raise only
`referrals.exceptions` errors, so one family is turned into form errors and
messages in one place; status changes go through referrals' transition
services, which lock the row, write the timeline and tell the referrer.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, Role, User
from accounts.services import audit_record
from directory.models import Service
from directory.selectors import provider_staff, user_manages_service
from directory.services import service_update_referral_stats
from referrals.exceptions import InvalidTransition, StaleVersion, ValidationError
from referrals.models import (
    OPEN_STATUSES,
    ClosureReason,
    ContactMethod,
    Referral,
    ReferralEvent,
    Status,
)
from referrals.services import (
    colleague_notify,
    outbox_email_queue,
    referral_close,
    referral_reopen,
    referral_resume,
    referral_start,
    user_notify,
)

from .models import (
    CLOSURE_PART_LIMIT,
    CLOSURE_STATUSES,
    CONNECTION_TRANSITIONS,
    LIVE_CONNECTION_STATUSES,
    NOTE_LIMIT,
    RECORDING_STATUSES,
    Answer,
    ClosureSummary,
    Connection,
    ConnectionStatus,
    Contact,
    ContactMode,
    ContactOutcome,
    DeclineReason,
    DigestSent,
    Goal,
    GoalStatus,
    Instrument,
    Item,
    OutcomeMeasure,
    OutcomeReviewNotice,
    PeerNavigatorAssignment,
    SupervisionNote,
    Timepoint,
    UnmetNeed,
    WhatMatters,
)
from .scoring import instrument_problems, score
from .selectors import (
    CONNECTION_ANSWER_DUE_AFTER,
    can_log_contact,
    can_work_on,
    caseload_for,
    may_attach_peer,
    may_supervise,
    prescription_for,
    service_referral_stats,
)

MAX_CONTACT_MINUTES = 600
GOAL_LIMIT = 300


def _too_long(limit):
    return _("Keep this to %(limit)s characters or fewer.") % {"limit": limit}


def _raise_if(errors):
    if errors:
        raise ValidationError(_("Please correct the errors below."), field_errors=errors)


def _lock_open_case(*, referral, actor, refusal, may=can_work_on) -> Referral:
    """Lock the referral row and check `actor` may work on it now (open, and theirs)."""
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    if not may(actor, locked):
        raise InvalidTransition(refusal)
    if locked.status not in OPEN_STATUSES:
        raise InvalidTransition(
            _("This case is %(status)s: reopen it first.") % {"status": locked.get_status_display()}
        )
    return locked


def _not_theirs(doing):
    return {
        "contact": _("Only the link worker holding this case can record a contact."),
        "what_matters": _("Only the link worker holding this case can record what matters."),
        "plan": _("Only the link worker holding this case can change the plan."),
    }[doing]


def contact_log(
    *,
    referral,
    actor,
    happened_at,
    mode,
    outcome,
    minutes=0,
    notes="",
    next_contact_on=None,
    request=None,
) -> Contact:
    """Record a contact attempt or meeting.

    The first time the person is reached on an allocated case, the case moves
    to in progress through `referral_start`, which tells the referrer; its
    first-contact milestone is then set to when the contact happened, since
    waiting times are measured to the conversation, not to its recording.
    """
    now = timezone.now()
    errors = {}
    if happened_at is None:
        errors["happened_at"] = [_("Say when the contact happened.")]
    elif happened_at > now:
        errors["happened_at"] = [_("A contact cannot be in the future.")]
    if mode not in ContactMode.values:
        errors["mode"] = [_("Choose how you made contact.")]
    if outcome not in ContactOutcome.values:
        errors["outcome"] = [_("Choose what happened.")]
    if minutes is None or not 0 <= minutes <= MAX_CONTACT_MINUTES:
        errors["minutes"] = [
            _("Give the minutes spent, from 0 to %(max)s.") % {"max": MAX_CONTACT_MINUTES}
        ]
    if len(notes or "") > NOTE_LIMIT:
        errors["notes"] = [_too_long(NOTE_LIMIT)]
    if next_contact_on and happened_at and next_contact_on < timezone.localdate(happened_at):
        errors["next_contact_on"] = [_("The next contact cannot be before this one.")]
    _raise_if(errors)

    with transaction.atomic():
        # A peer navigator attached to the case logs their own contacts too.
        locked = _lock_open_case(referral=referral, actor=actor, refusal=_not_theirs("contact"),
                                 may=can_log_contact)  # fmt: skip
        contact = Contact.objects.create(
            referral=locked, happened_at=happened_at, mode=mode, outcome=outcome,
            minutes=minutes, notes=notes or "", next_contact_on=next_contact_on,
            recorded_by=actor, created_at=now,
        )  # fmt: skip
        summary = _("%(mode)s: %(outcome)s (%(minutes)s min).") % {
            "mode": contact.get_mode_display(),
            "outcome": contact.get_outcome_display(),
            "minutes": minutes,
        }
        # Link worker notes never reach the referrer (DESIGN.md, Who may see what).
        ReferralEvent.objects.create(
            referral=locked, kind=ReferralEvent.Kind.CONTACT, actor=actor,
            note=f"{summary}\n{notes}".strip(), visible_to_referrer=False, created_at=now,
        )  # fmt: skip
        # First contact is the link worker's: a peer navigator's call does not start the case.
        if (
            outcome == ContactOutcome.REACHED
            and locked.status == Status.ALLOCATED
            and can_work_on(actor, locked)
        ):
            locked = referral_start(referral=locked, actor=actor)
            locked.first_contact_at = min(happened_at, locked.first_contact_at)
            locked.save(update_fields=["first_contact_at"])
        audit_record(
            actor=actor, action=AuditEvent.Action.CREATE, obj=contact, request=request,
            detail=f"contact on referral {locked.reference}",
        )  # fmt: skip
    return contact


def what_matters_save(
    *,
    referral,
    actor,
    expected_version,
    what_matters,
    strengths="",
    want_to_change="",
    request=None,
) -> WhatMatters:
    """Save the "what matters" record; `expected_version` 0 means "there was none yet".

    An edit made against an older version is refused, never silently
    overwriting what a colleague saved in the meantime.
    """
    errors = {}
    if not (what_matters or "").strip():
        errors["what_matters"] = [_("Write what matters to the person, in their words.")]
    for key, value in (
        ("what_matters", what_matters),
        ("strengths", strengths),
        ("want_to_change", want_to_change),
    ):
        if len(value or "") > NOTE_LIMIT:
            errors[key] = [_too_long(NOTE_LIMIT)]
    _raise_if(errors)

    with transaction.atomic():
        # Locking the referral also serialises the first save, when no record exists to lock.
        locked = _lock_open_case(
            referral=referral, actor=actor, refusal=_not_theirs("what_matters")
        )
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
        fields = {
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


def _check_goal(*, description=None, progress_notes="", target_date=None, status=None):
    errors = {}
    if description is not None:
        if not description.strip():
            errors["description"] = [_("Describe the goal in a few words.")]
        elif len(description) > GOAL_LIMIT:
            errors["description"] = [_too_long(GOAL_LIMIT)]
    if status is not None and status not in GoalStatus.values:
        errors["status"] = [_("Choose a status.")]
    if len(progress_notes or "") > NOTE_LIMIT:
        errors["progress_notes"] = [_too_long(NOTE_LIMIT)]
    return errors


def goal_add(*, referral, actor, description, target_date=None, request=None) -> Goal:
    """Add a goal the person agreed to the plan."""
    errors = _check_goal(description=description)
    if target_date and target_date < timezone.localdate():
        errors["target_date"] = [_("Choose a target date that is today or later.")]
    _raise_if(errors)
    with transaction.atomic():
        locked = _lock_open_case(referral=referral, actor=actor, refusal=_not_theirs("plan"))
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


def goal_update(*, goal, actor, status, progress_notes="", target_date=None, request=None) -> Goal:
    """Record a goal's progress: its status, notes and target date."""
    _raise_if(_check_goal(status=status, progress_notes=progress_notes))
    with transaction.atomic():
        locked = _lock_open_case(referral=goal.referral, actor=actor, refusal=_not_theirs("plan"))
        goal = Goal.objects.select_for_update().get(pk=goal.pk, referral=locked)
        now = timezone.now()
        status_changed = goal.status != status
        goal.status = status
        goal.progress_notes = (progress_notes or "").strip()
        goal.target_date = target_date
        goal.updated_at = now
        goal.save()
        if status_changed:
            note = {
                GoalStatus.NOT_STARTED: _("Goal not started: %(goal)s"),
                GoalStatus.IN_PROGRESS: _("Goal in progress: %(goal)s"),
                GoalStatus.ACHIEVED: _("Goal achieved: %(goal)s"),
                GoalStatus.STOPPED: _("Goal stopped: %(goal)s"),
            }[status] % {"goal": goal.description}
            ReferralEvent.objects.create(
                referral=locked, kind=ReferralEvent.Kind.NOTE, actor=actor, note=note,
                visible_to_referrer=False, created_at=now,
            )  # fmt: skip
        audit_record(
            actor=actor, action=AuditEvent.Action.CHANGE, obj=goal, request=request,
            detail=f"goal on referral {locked.reference}: {status}",
        )  # fmt: skip
    return goal


CLOSURE_PARTS = ("what_mattered", "connected_to", "outcomes", "follow_up")


def _closure_headings():
    return {
        "what_mattered": _("What mattered to them"),
        "connected_to": _("What they were connected to"),
        "outcomes": _("Outcomes"),
        "follow_up": _("Follow-up advice"),
    }


def closure_summary_compose(*, parts: dict, language: str) -> str:
    """The message back to the GP and referrer (PRSB), in the referrer's language."""
    with translation.override(language):
        headings = _closure_headings()
        return "\n\n".join(
            f"{headings[key]}:\n{parts[key].strip()}"
            for key in CLOSURE_PARTS
            if (parts.get(key) or "").strip()
        )


def case_close(
    *,
    referral,
    actor,
    reason,
    expected_version,
    what_mattered="",
    connected_to="",
    outcomes="",
    follow_up="",
    request=None,
) -> Referral:
    """Close the case with a reason and the PRSB "Message back to GP and referrer".

    `referral_close` takes one summary, which the referrer's page shows; the
    parts are kept beside it in a ClosureSummary, written in the same
    transaction so one never exists without the other.
    """
    parts = {
        "what_mattered": what_mattered,
        "connected_to": connected_to,
        "outcomes": outcomes,
        "follow_up": follow_up,
    }
    errors = {}
    if reason not in ClosureReason.values:
        errors["reason"] = [_("Choose a reason.")]
    for key, value in parts.items():
        if len(value or "") > CLOSURE_PART_LIMIT:
            errors[key] = [_too_long(CLOSURE_PART_LIMIT)]
    if not (what_mattered or "").strip():
        errors["what_mattered"] = [_("Say what mattered to the person.")]
    if not (follow_up or "").strip():
        errors["follow_up"] = [
            _("Give the GP and referrer some follow-up advice, or say none is needed.")
        ]
    _raise_if(errors)
    recipient = referral.referring_user
    language = recipient.preferred_language if recipient else translation.get_language()
    summary = closure_summary_compose(parts=parts, language=language or "en")
    with transaction.atomic():
        closed = referral_close(
            referral=referral, actor=actor, reason=reason, summary=summary,
            expected_version=expected_version,
        )  # fmt: skip
        ClosureSummary.objects.create(
            referral=closed, reason=reason, written_by=actor, created_at=closed.closed_at,
            **{key: (value or "").strip() for key, value in parts.items()},
        )  # fmt: skip
        audit_record(
            actor=actor, action=AuditEvent.Action.CHANGE, obj=closed, request=request,
            detail=f"closed: {reason}",
        )  # fmt: skip
    return closed


def case_reopen(*, referral, actor, expected_version, note="", request=None) -> Referral:
    """Reopen within REOPEN_DAYS of closing; the closure summary stays in the timeline."""
    if len(note or "") > NOTE_LIMIT:
        _raise_if({"note": [_too_long(NOTE_LIMIT)]})
    with transaction.atomic():
        reopened = referral_reopen(
            referral=referral, actor=actor, note=note or "", expected_version=expected_version
        )
        audit_record(
            actor=actor, action=AuditEvent.Action.CHANGE, obj=reopened, request=request,
            detail="reopened",
        )  # fmt: skip
    return reopened


def _may_record(actor, referral) -> bool:
    if actor.role == Role.LINK_WORKER:
        return referral.link_worker_id == actor.pk
    if actor.role == Role.COORDINATOR:
        return actor.organisation_id is not None and referral.scheme_id == actor.organisation_id
    return False


def _clean_answers(items, answers) -> dict[int, int]:
    """Every item answered with a whole number in its range; errors name the item."""
    errors: dict[str, list[str]] = {}
    clean = {}
    known = {item.pk for item in items}
    for item in items:
        field = f"item_{item.pk}"
        context = {"item": item.display_label, "low": item.min_value, "high": item.max_value}
        value = answers.get(item.pk, answers.get(str(item.pk)))
        if value is None or value == "":
            errors[field] = [_("Answer “%(item)s” (from %(low)s to %(high)s).") % context]
            continue
        try:
            number = int(str(value).strip())
        except ValueError:
            errors[field] = [
                _("“%(item)s” needs a whole number from %(low)s to %(high)s.") % context
            ]
            continue
        if not item.min_value <= number <= item.max_value:
            errors[field] = [
                _("“%(item)s” must be from %(low)s to %(high)s; %(value)s is out of range.")
                % (context | {"value": number})
            ]
            continue
        clean[item.pk] = number
    known_keys = {str(pk) for pk in known}
    unknown = [key for key in answers if str(key) not in known_keys]
    if unknown:
        errors["__all__"] = [_("These answers are not items of this instrument.")]
    if errors:
        raise ValidationError(
            _("Nothing was saved: please answer every question within its range."),
            field_errors=errors,
        )
    return clean


def outcome_record(
    *, referral, instrument, timepoint, answers: dict, actor, answered_on=None, request=None
) -> OutcomeMeasure:
    """Record one instrument answered at one timepoint, scored by the one engine.

    Refuses (changing nothing) an instrument the scheme may not use, a
    timepoint the case is not at, a second baseline or closure, a date in
    the future, and any missing or out-of-range answer, naming the item.
    """
    if not _may_record(actor, referral):
        raise InvalidTransition(_("This case is not one you can record outcomes for."))
    if timepoint not in Timepoint.values:
        message = _("Choose baseline, review or closure.")
        raise ValidationError(message, field_errors={"timepoint": [message]})
    if not instrument.active or instrument.scheme_id not in (None, referral.scheme_id):
        message = _("This instrument is not available to this scheme.")
        raise ValidationError(message, field_errors={"instrument": [message]})
    today = timezone.localdate()
    answered_on = answered_on or today
    if answered_on > today or answered_on < timezone.localdate(referral.received_at):
        message = _("Give the date it was answered: not in the future, nor before the referral.")
        raise ValidationError(message, field_errors={"answered_on": [message]})
    items = list(instrument.items.all())
    clean = _clean_answers(items, answers)
    result = score(instrument, clean)
    label = Timepoint(timepoint).label

    with transaction.atomic():
        # One recording at a time per case, so the duplicate check below holds.
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        if locked.status not in RECORDING_STATUSES:
            raise InvalidTransition(
                _("Outcome measures are recorded once a link worker holds the case.")
            )
        if timepoint == Timepoint.CLOSURE and locked.status not in CLOSURE_STATUSES:
            raise InvalidTransition(
                _("The closure measure is taken when the case is being closed, after first "
                  "contact.")
            )  # fmt: skip
        duplicate = _("A %(timepoint)s %(instrument)s was already recorded for this case.") % {
            "timepoint": label.lower(),
            "instrument": instrument.display_name,
        }
        if (
            timepoint != Timepoint.REVIEW
            and OutcomeMeasure.objects.filter(
                referral=locked, instrument=instrument, timepoint=timepoint
            ).exists()
        ):
            raise ValidationError(duplicate, field_errors={"timepoint": [duplicate]})
        now = timezone.now()
        try:
            with transaction.atomic():
                measure = OutcomeMeasure.objects.create(
                    referral=locked,
                    instrument=instrument,
                    timepoint=timepoint,
                    answered_on=answered_on,
                    recorded_by=actor,
                    raw_score=result.raw,
                    converted_score=result.converted,
                    created_at=now,
                )
        except IntegrityError:
            raise ValidationError(duplicate, field_errors={"timepoint": [duplicate]}) from None
        Answer.objects.bulk_create(
            [Answer(measure=measure, item_id=pk, value=value) for pk, value in clean.items()]
        )
        ReferralEvent.objects.create(
            referral=locked,
            kind=ReferralEvent.Kind.NOTE,
            actor=actor,
            note=_("Outcome measure recorded: %(instrument)s (%(timepoint)s).")
            % {"instrument": instrument.name, "timepoint": label.lower()},
            visible_to_referrer=False,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CREATE,
            obj=measure,
            request=request,
            detail=f"referral {locked.reference} {instrument.code} {timepoint}",
        )
    return measure


def outcome_view_record(*, referral, actor, request=None):
    """Audit one read of a case's outcomes (reads of a person's record are audited)."""
    return audit_record(
        actor=actor, action=AuditEvent.Action.VIEW, obj=referral.person, request=request,
        detail=f"outcomes of referral {referral.reference}",
    )  # fmt: skip


@transaction.atomic
def instrument_define(
    *, code, name, scoring, items: list[dict], name_cy="", description="", description_cy="",
    licence="", higher_is_better=True, conversion_table=None, scheme=None, active=True,
) -> Instrument:  # fmt: skip
    """Create an instrument, or update one by its code, with its items in order.

    `items` are dicts of Item fields (label, text, min_value, max_value...).
    Refuses a definition the engine could not score, and any change to an
    item's range once answers to it exist (they would no longer add up).
    """
    existing = Instrument.objects.filter(code=code).first()
    if existing and existing.scheme_id != (scheme.pk if scheme else None):
        message = _("The code %(code)s is already used by another scheme's instrument.") % {
            "code": code
        }
        raise ValidationError(message, field_errors={"code": [message]})
    drafts = [Item(order=n, **fields) for n, fields in enumerate(items, 1)]
    problems = instrument_problems(
        scoring=scoring, conversion_table=conversion_table or {}, items=drafts
    )
    if problems:
        raise ValidationError(" ".join(problems), field_errors={"items": problems})
    instrument, _created = Instrument.objects.update_or_create(
        code=code,
        defaults={
            "name": name, "name_cy": name_cy, "description": description,
            "description_cy": description_cy, "licence": licence, "scoring": scoring,
            "higher_is_better": higher_is_better, "conversion_table": conversion_table or {},
            "scheme": scheme, "active": active,
        },
    )  # fmt: skip
    current = {item.order: item for item in instrument.items.all()}
    answered = set(
        Answer.objects.filter(item__instrument=instrument).values_list("item__order", flat=True)
    )
    if answered and len(drafts) != len(current):
        message = _("Answers to this instrument exist, so its number of items cannot change.")
        raise ValidationError(message, field_errors={"items": [message]})
    for draft in drafts:
        old = current.get(draft.order)
        shape = (draft.min_value, draft.max_value, draft.reverse_scored)
        if old and draft.order in answered and shape != (
            old.min_value, old.max_value, old.reverse_scored
        ):  # fmt: skip
            message = _("Item %(order)s has answers, so its range and scoring cannot change.") % {
                "order": draft.order
            }
            raise ValidationError(message, field_errors={"items": [message]})
        draft.instrument = instrument
        draft.pk = old.pk if old else None
        draft.save()
    Item.objects.filter(instrument=instrument, order__gt=len(drafts)).delete()
    return instrument


# The coordinator side: supervision, peer navigators, scheduled jobs ----------


def supervision_note_add(*, link_worker, author, text, referral=None, request=None):
    """A supervision note about `link_worker`'s work, by them or their manager.

    `referral`, when given, must be a case the link worker holds or held.
    """
    errors = {}
    if not may_supervise(author, link_worker):
        raise InvalidTransition(
            _("Only the link worker and their scheme's coordinators can write supervision notes.")
        )
    text = (text or "").strip()
    if not text:
        errors["text"] = [_("Write the note.")]
    elif len(text) > NOTE_LIMIT:
        errors["text"] = [_too_long(NOTE_LIMIT)]
    if referral is not None and referral.link_worker_id != link_worker.pk:
        errors["referral"] = [_("Choose one of this link worker's cases.")]
    _raise_if(errors)
    with transaction.atomic():
        note = SupervisionNote.objects.create(
            link_worker=link_worker, referral=referral, author=author, text=text,
            created_at=timezone.now(),
        )  # fmt: skip
        audit_record(
            actor=author, action=AuditEvent.Action.CREATE, obj=note, request=request,
            detail=f"supervision note for user {link_worker.pk}",
        )  # fmt: skip
    return note


def peer_navigator_attach(*, referral, actor, peer_navigator, request=None):
    """Attach a peer navigator of the scheme to an open case (the link worker or a coordinator)."""
    if not (
        peer_navigator is not None
        and peer_navigator.role == Role.PEER_NAVIGATOR
        and peer_navigator.is_active
        and peer_navigator.organisation_id == referral.scheme_id
    ):
        message = _("Choose a peer navigator from this scheme.")
        raise ValidationError(message, field_errors={"peer_navigator": [message]})
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        if not may_attach_peer(actor, locked):
            raise InvalidTransition(
                _("Only the case's link worker or a coordinator can add a peer navigator.")
            )
        if locked.status not in OPEN_STATUSES:
            raise InvalidTransition(
                _("This case is %(status)s: reopen it first.")
                % {"status": locked.get_status_display()}
            )
        now = timezone.now()
        assignment, created = PeerNavigatorAssignment.objects.get_or_create(
            referral=locked, user=peer_navigator,
            defaults={"added_by": actor, "added_at": now, "active": True},
        )  # fmt: skip
        if not created and assignment.active:
            message = _("This peer navigator is already on the case.")
            raise ValidationError(message, field_errors={"peer_navigator": [message]})
        if not created:
            assignment.active, assignment.added_by, assignment.added_at = True, actor, now
            assignment.save(update_fields=["active", "added_by", "added_at"])
        name = peer_navigator.get_full_name() or peer_navigator.username
        ReferralEvent.objects.create(
            referral=locked, kind=ReferralEvent.Kind.NOTE, actor=actor,
            note=_("Peer navigator %(name)s added to the case.") % {"name": name},
            visible_to_referrer=False, created_at=now,
        )  # fmt: skip
        audit_record(
            actor=actor, action=AuditEvent.Action.CHANGE, obj=locked.person, request=request,
            detail=f"peer navigator user {peer_navigator.pk} added to referral {locked.reference}",
        )  # fmt: skip
    return assignment


def peer_navigator_detach(*, assignment, actor, request=None):
    """Take a peer navigator off a case; their access ends at once."""
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=assignment.referral_id)
        if not may_attach_peer(actor, locked):
            raise InvalidTransition(
                _("Only the case's link worker or a coordinator can remove a peer navigator.")
            )
        changed = PeerNavigatorAssignment.objects.filter(pk=assignment.pk, active=True).update(
            active=False
        )
        if changed:
            name = assignment.user.get_full_name() or assignment.user.username
            ReferralEvent.objects.create(
                referral=locked, kind=ReferralEvent.Kind.NOTE, actor=actor,
                note=_("Peer navigator %(name)s removed from the case.") % {"name": name},
                visible_to_referrer=False, created_at=timezone.now(),
            )  # fmt: skip
            audit_record(
                actor=actor, action=AuditEvent.Action.CHANGE, obj=locked.person, request=request,
                detail=f"peer navigator user {assignment.user_id} removed from referral "
                f"{locked.reference}",
            )  # fmt: skip
    return changed == 1


def digest_send(*, link_worker, today) -> bool:
    """Email one link worker their overdue items, once a day. Returns True when sent now.

    The DigestSent row is the claim: it is written in the same transaction as
    the outbox email, and its unique (user, day) means a second run, or a
    second worker at the same moment, sends nothing.
    """
    rows = [row for row in caseload_for(link_worker, today=today).rows if row.overdue]
    if not rows or not link_worker.email:
        return False
    with transaction.atomic():
        _claim, created = DigestSent.objects.get_or_create(
            user=link_worker, sent_on=today, defaults={"created_at": timezone.now()}
        )
        if not created:
            return False
        with translation.override(link_worker.preferred_language):
            context = {
                "recipient": link_worker,
                "rows": rows,
                "today": today,
                "url": settings.SITE_URL.rstrip("/")
                + reverse("linkworkers:caseload")
                + "?due=overdue",
            }
            outbox_email_queue(
                to=link_worker.email,
                template="linkworkers/email/digest",
                context=context,
                now=timezone.now(),
            )
    return True


def digests_send(*, today=None) -> int:
    """The daily digest for every active link worker with something overdue."""
    today = today or timezone.localdate()
    workers = User.objects.filter(role=Role.LINK_WORKER, is_active=True).order_by("pk")
    return sum(digest_send(link_worker=worker, today=today) for worker in workers)


def outcome_reviews_notify(*, today=None) -> int:
    """Tell each link worker when a baseline's review falls due (OUTCOME_REVIEW_WEEKS on).

    Once per baseline: the OutcomeReviewNotice row (one per baseline) is the
    claim, written with the notification in one transaction.
    """
    today = today or timezone.localdate()
    cutoff = today - timedelta(weeks=settings.OUTCOME_REVIEW_WEEKS)
    followed_up = OutcomeMeasure.objects.filter(
        referral_id=OuterRef("referral_id"),
        instrument_id=OuterRef("instrument_id"),
        answered_on__gte=OuterRef("answered_on"),
    ).exclude(timepoint=Timepoint.BASELINE)
    due = (
        OutcomeMeasure.objects.filter(
            timepoint=Timepoint.BASELINE,
            answered_on__lte=cutoff,
            referral__status__in=OPEN_STATUSES,
            referral__link_worker__isnull=False,
        )
        .exclude(Exists(followed_up))
        .exclude(Exists(OutcomeReviewNotice.objects.filter(baseline_id=OuterRef("pk"))))
        .select_related(
            "referral__person", "referral__link_worker", "referral__scheme", "instrument"
        )
    )
    told = 0
    for baseline in due:
        due_on = baseline.answered_on + timedelta(weeks=settings.OUTCOME_REVIEW_WEEKS)
        with transaction.atomic():
            _notice, created = OutcomeReviewNotice.objects.get_or_create(
                baseline=baseline, defaults={"due_on": due_on, "notified_at": timezone.now()}
            )
            if not created:
                continue
            referral = baseline.referral
            colleague_notify(
                referral=referral, recipient=referral.link_worker,
                message=lambda b=baseline, r=referral, d=due_on: _(
                    "The %(instrument)s review for %(name)s (%(ref)s) is due (%(date)s)."
                ) % {"instrument": b.instrument.display_name, "name": r.person,
                     "ref": r.reference, "date": date_format(d)},
            )  # fmt: skip
            told += 1
    return told


def holds_resume_due(*, today=None) -> int:
    """On-hold cases whose review date has come go back to in progress, by the system.

    The move goes through `referral_resume` (actor None: a system move the
    transition table allows); its from-status check means a second run, or a
    case the link worker resumed meanwhile, is left alone.
    """
    today = today or timezone.localdate()
    due = Referral.objects.filter(
        status=Status.ON_HOLD, hold_review_date__lte=today, link_worker__isnull=False
    ).values_list("pk", flat=True)
    resumed = 0
    for referral in Referral.objects.filter(pk__in=list(due)).select_related(
        "person", "link_worker", "scheme"
    ):
        with transaction.atomic():
            try:
                referral = referral_resume(
                    referral=referral, actor=None,
                    note=_("The review date came: the case is back in progress."),
                )  # fmt: skip
            except InvalidTransition:
                continue
            colleague_notify(
                referral=referral, recipient=referral.link_worker,
                message=lambda r=referral: _(
                    "%(name)s (%(ref)s) was on hold until today and is back on your caseload."
                ) % {"name": r.person, "ref": r.reference},
            )  # fmt: skip
            resumed += 1
    return resumed


CONNECTION_NOTE_LIMIT = 1000


DECLINE_DETAILS_LIMIT = 500


REMIND_AFTER = CONNECTION_ANSWER_DUE_AFTER


EXPIRE_AFTER = timedelta(days=14)


def _check_version(connection, expected_version):
    if expected_version is not None and expected_version != connection.version:
        raise StaleVersion(
            _(
                "Someone else changed this connection while you were looking. "
                "Check it and try again."
            )
        )


def _lock_connection(connection) -> Connection:
    return (
        Connection.objects.select_for_update()
        .select_related("service", "service__provider", "referral")
        .get(pk=connection.pk)
    )


def _check_move(connection, to_status):
    if to_status not in CONNECTION_TRANSITIONS[connection.status]:
        raise InvalidTransition(
            _("This connection is %(status)s: it cannot become %(to)s.")
            % {
                "status": connection.get_status_display().lower(),
                "to": ConnectionStatus(to_status).label.lower(),
            }
        )


def _connection_event(*, connection, actor, text, now):
    # The timeline keeps the connection's history; it is the link worker's record.
    ReferralEvent.objects.create(
        referral_id=connection.referral_id,
        kind=ReferralEvent.Kind.CONNECTION,
        actor=actor,
        note=text,
        visible_to_referrer=False,
        created_at=now,
    )


def _moved(connection, *, to_status, now, **fields):
    connection.status = to_status
    connection.version += 1
    for name, value in fields.items():
        setattr(connection, name, value)
    connection.save(update_fields=["status", "version", *fields])
    return connection


def _tell_link_worker(connection, message, now):
    referral = connection.referral
    user_notify(
        recipient=referral.link_worker,
        referral=referral,
        message=message,
        now=now,
        url_path=reverse("linkworkers:connections", kwargs={"referral_uuid": referral.uuid}),
    )


def _tell_provider(connection, message, now):
    path = reverse("providers:connections")
    for recipient in provider_staff(connection.service):
        user_notify(
            recipient=recipient,
            referral=connection.referral,
            message=message,
            url_path=path,
            now=now,
        )


def _may_answer(actor, connection) -> bool:
    return user_manages_service(actor, connection.service)


def connection_propose(
    *, referral, actor, service, note_for_provider="", request=None
) -> Connection:
    """The link worker suggests a service to the person; nothing reaches the provider yet."""
    errors = {}
    if service is None or service.status != Service.Status.ACTIVE:
        errors["service"] = [_("Choose an active service from the directory.")]
    if len(note_for_provider or "") > CONNECTION_NOTE_LIMIT:
        errors["note_for_provider"] = [_too_long(CONNECTION_NOTE_LIMIT)]
    _raise_if(errors)
    now = timezone.now()
    with transaction.atomic():
        locked = _lock_open_case(
            referral=referral,
            actor=actor,
            refusal=_("Only the link worker holding this case can connect the person to a service"),
        )
        if locked.connections.filter(service=service, status__in=LIVE_CONNECTION_STATUSES).exists():
            _raise_if({"service": [_("This person already has a connection to this service.")]})
        connection = Connection.objects.create(
            referral=locked,
            service=service,
            note_for_provider=note_for_provider or "",
            proposed_at=now,
            created_by=actor,
        )
        _connection_event(
            connection=connection,
            actor=actor,
            now=now,
            text=_("Proposed %(service)s.") % {"service": service.name},
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CREATE,
            obj=connection,
            request=request,
            detail=f"connection on referral {locked.reference}",
        )
    return connection


def connection_refer(*, connection, actor, expected_version=None) -> Connection:
    """Send the person to the service: its provider's staff are told and asked to answer.

    A signposting-only service takes no referrals: the person contacts it
    themselves and the connection stays proposed.
    """
    now = timezone.now()
    with transaction.atomic():
        _lock_open_case(
            referral=connection.referral,
            actor=actor,
            refusal=_("Only the link worker holding this case can refer the person."),
        )
        locked = _lock_connection(connection)
        _check_version(locked, expected_version)
        _check_move(locked, ConnectionStatus.REFERRED)
        if not locked.service.takes_direct_referrals:
            raise InvalidTransition(
                _(
                    "%(service)s does not take referrals: give the person its details so they "
                    "can contact it themselves."
                )
                % {"service": locked.service.name}
            )
        _moved(locked, to_status=ConnectionStatus.REFERRED, now=now, referred_at=now)
        _connection_event(
            connection=locked,
            actor=actor,
            now=now,
            text=_("Referred to %(service)s.") % {"service": locked.service.name},
        )
        service = locked.service
        _tell_provider(
            locked,
            lambda: (
                _("A link worker has referred someone to %(service)s. Please accept or decline.")
                % {"service": service.display_name}
            ),
            now,
        )
    return locked


def connection_accept(*, connection, actor, expected_version=None) -> Connection:
    """The provider takes the person on; the link worker is told."""
    now = timezone.now()
    with transaction.atomic():
        locked = _lock_connection(connection)
        if not _may_answer(actor, locked):
            raise InvalidTransition(_("Only the staff of this service's provider can answer."))
        _check_version(locked, expected_version)
        _check_move(locked, ConnectionStatus.ACCEPTED)
        _moved(locked, to_status=ConnectionStatus.ACCEPTED, now=now, answered_at=now)
        _connection_event(
            connection=locked,
            actor=actor,
            now=now,
            text=_("%(service)s accepted the referral.") % {"service": locked.service.name},
        )
        service, reference = locked.service, locked.referral.reference
        _tell_link_worker(
            locked,
            lambda: (
                _("%(service)s accepted the referral for %(ref)s.")
                % {"service": service.display_name, "ref": reference}
            ),
            now,
        )
        connection_stats_refresh(service_id=locked.service_id, now=now)
    return locked


def connection_decline(
    *, connection, actor, reason, details="", expected_version=None
) -> Connection:
    """The provider cannot take the person on, with a reason; the link worker is told."""
    errors = {}
    choosable = [value for value in DeclineReason.values if value != DeclineReason.NO_RESPONSE]
    if reason not in choosable:
        errors["reason"] = [_("Choose why you cannot take the person on.")]
    if reason == DeclineReason.OTHER and not (details or "").strip():
        errors["details"] = [_("Say why, when the reason is other.")]
    if len(details or "") > DECLINE_DETAILS_LIMIT:
        errors["details"] = [_too_long(DECLINE_DETAILS_LIMIT)]
    _raise_if(errors)
    now = timezone.now()
    with transaction.atomic():
        locked = _lock_connection(connection)
        if not _may_answer(actor, locked):
            raise InvalidTransition(_("Only the staff of this service's provider can answer."))
        _check_version(locked, expected_version)
        _check_move(locked, ConnectionStatus.DECLINED)
        _decline(locked, actor=actor, reason=reason, details=details or "", now=now)
    return locked


def _decline(connection, *, actor, reason, details, now):
    _moved(
        connection,
        to_status=ConnectionStatus.DECLINED,
        now=now,
        answered_at=now,
        ended_at=now,
        decline_reason=reason,
        decline_details=details,
    )
    label = DeclineReason(reason).label
    _connection_event(
        connection=connection,
        actor=actor,
        now=now,
        text=_("%(service)s declined: %(reason)s. %(details)s")
        % {"service": connection.service.name, "reason": label, "details": details},
    )
    service, reference = connection.service, connection.referral.reference
    _tell_link_worker(
        connection,
        lambda: (
            _("%(service)s declined the referral for %(ref)s: %(reason)s.")
            % {
                "service": service.display_name,
                "ref": reference,
                "reason": DeclineReason(reason).label,
            }
        ),
        now,
    )
    connection_stats_refresh(service_id=connection.service_id, now=now)


ATTENDANCE_STATUSES = (
    ConnectionStatus.ATTENDING,
    ConnectionStatus.COMPLETED,
    ConnectionStatus.STOPPED,
)


def connection_record_attendance(
    *, connection, actor, attendance, note="", expected_version=None
) -> Connection:
    """The provider says whether the person is attending, has completed or has stopped."""
    errors = {}
    if attendance not in ATTENDANCE_STATUSES:
        errors["attendance"] = [_("Choose attending, completed or stopped.")]
    if len(note or "") > DECLINE_DETAILS_LIMIT:
        errors["note"] = [_too_long(DECLINE_DETAILS_LIMIT)]
    _raise_if(errors)
    now = timezone.now()
    with transaction.atomic():
        locked = _lock_connection(connection)
        if not _may_answer(actor, locked):
            raise InvalidTransition(_("Only the staff of this service's provider can answer."))
        _check_version(locked, expected_version)
        _check_move(locked, attendance)
        fields = {}
        if attendance == ConnectionStatus.ATTENDING:
            fields["attending_since"] = now
        else:
            fields["ended_at"] = now
            if attendance == ConnectionStatus.STOPPED:
                fields["stop_reason"] = note or ""
        _moved(locked, to_status=attendance, now=now, **fields)
        label = ConnectionStatus(attendance).label
        _connection_event(
            connection=locked,
            actor=actor,
            now=now,
            text=_("%(service)s recorded: %(status)s. %(note)s")
            % {"service": locked.service.name, "status": label, "note": note},
        )
        service, reference = locked.service, locked.referral.reference
        _tell_link_worker(
            locked,
            lambda: (
                _("%(service)s recorded %(status)s for %(ref)s.")
                % {
                    "service": service.display_name,
                    "ref": reference,
                    "status": ConnectionStatus(attendance).label.lower(),
                }
            ),
            now,
        )
    return locked


def connection_stop(*, connection, actor, reason, expected_version=None) -> Connection:
    """The link worker ends a connection (the person changed their mind, or it did not fit)."""
    if not (reason or "").strip():
        _raise_if({"reason": [_("Say why the connection stops.")]})
    if len(reason) > DECLINE_DETAILS_LIMIT:
        _raise_if({"reason": [_too_long(DECLINE_DETAILS_LIMIT)]})
    now = timezone.now()
    with transaction.atomic():
        _lock_open_case(
            referral=connection.referral,
            actor=actor,
            refusal=_("Only the link worker holding this case can stop a connection."),
        )
        locked = _lock_connection(connection)
        _check_version(locked, expected_version)
        _check_move(locked, ConnectionStatus.STOPPED)
        provider_knew = locked.status != ConnectionStatus.PROPOSED
        _moved(
            locked, to_status=ConnectionStatus.STOPPED, now=now, ended_at=now, stop_reason=reason
        )
        _connection_event(
            connection=locked,
            actor=actor,
            now=now,
            text=_("Stopped %(service)s: %(reason)s")
            % {"service": locked.service.name, "reason": reason},
        )
        if provider_knew:
            service = locked.service
            _tell_provider(
                locked,
                lambda: (
                    _("The link worker has stopped a referral to %(service)s.")
                    % {"service": service.display_name}
                ),
                now,
            )
    return locked


def unmet_need_record(*, referral, actor, category, notes="", request=None) -> UnmetNeed:
    """Nothing suitable exists for the person in this category; reporting counts these."""
    errors = {}
    if category is None:
        errors["category"] = [_("Choose the kind of service that was missing.")]
    if len(notes or "") > NOTE_LIMIT:
        errors["notes"] = [_too_long(NOTE_LIMIT)]
    _raise_if(errors)
    now = timezone.now()
    with transaction.atomic():
        locked = _lock_open_case(
            referral=referral,
            actor=actor,
            refusal=_("Only the link worker holding this case can record an unmet need."),
        )
        need = UnmetNeed.objects.create(
            referral=locked,
            category=category,
            notes=notes or "",
            recorded_by=actor,
            recorded_at=now,
        )
        ReferralEvent.objects.create(
            referral=locked,
            kind=ReferralEvent.Kind.CONNECTION,
            actor=actor,
            note=_("Unmet need: %(category)s. %(notes)s")
            % {"category": category.name, "notes": notes},
            visible_to_referrer=False,
            created_at=now,
        )
    return need


def connection_stats_refresh(*, service_id, now=None) -> None:
    """Recompute a service's usual reply time and share accepted, shown on its listing."""
    usual, share = service_referral_stats(service_id, now=now)
    service_update_referral_stats(
        service=Service(pk=service_id), usual_reply_days=usual, accepted_share=share
    )


def connections_remind_and_expire(*, now=None) -> tuple[int, int]:
    """Remind providers at 7 days without an answer; decline for them at 14 days.

    Safe to run twice or in two workers: a reminder is claimed with a
    conditional update of reminder_sent_at, and the expiry locks each row and
    re-checks its status, so each happens once.
    """
    now = now or timezone.now()
    reminded = 0
    due = Connection.objects.filter(
        status=ConnectionStatus.REFERRED,
        reminder_sent_at__isnull=True,
        referred_at__lte=now - REMIND_AFTER,
        referred_at__gt=now - EXPIRE_AFTER,
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            claimed = Connection.objects.filter(
                pk=pk, status=ConnectionStatus.REFERRED, reminder_sent_at__isnull=True
            ).update(reminder_sent_at=now)
            if not claimed:
                continue
            connection = Connection.objects.select_related(
                "service", "service__provider", "referral"
            ).get(pk=pk)
            _tell_provider(
                connection,
                lambda service=connection.service: (
                    _(
                        "A referral to %(service)s has waited 7 days for your answer. "
                        "Please accept or "
                        "decline; after 14 days it is declined for you."
                    )
                    % {"service": service.display_name}
                ),
                now,
            )
            reminded += 1
    declined = 0
    expired = Connection.objects.filter(
        status=ConnectionStatus.REFERRED, referred_at__lte=now - EXPIRE_AFTER
    ).values_list("pk", flat=True)
    for pk in list(expired):
        with transaction.atomic():
            locked = _lock_connection(Connection(pk=pk))
            if locked.status != ConnectionStatus.REFERRED:
                continue
            _decline(locked, actor=None, reason=DeclineReason.NO_RESPONSE, details="", now=now)
            declined += 1
    return reminded, declined


def prescription_email_send(*, referral, actor, request=None) -> None:
    """Email the person their social prescription, when email is how they asked to be contacted."""
    person = referral.person
    if not can_work_on(actor, referral):
        raise InvalidTransition(_("Only the link worker holding this case can send this."))
    if person.contact_method != ContactMethod.EMAIL or not person.email:
        raise InvalidTransition(
            _("The person did not ask to be contacted by email, or has no email address.")
        )
    now = timezone.now()
    with transaction.atomic(), translation.override(person.preferred_language):
        context = {"referral": referral, "person": person, **prescription_for(referral)}
        outbox_email_queue(
            referral=referral,
            to=person.email,
            template="linkworkers/email/prescription",
            context=context,
            now=now,
        )
        ReferralEvent.objects.create(
            referral=referral,
            kind=ReferralEvent.Kind.MESSAGE,
            actor=actor,
            note=_("Social prescription emailed to the person."),
            visible_to_referrer=False,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.EXPORT,
            obj=referral,
            request=request,
            detail="social prescription emailed",
        )


def connection_stats_refresh_all(*, now=None) -> int:
    """Recompute the listing figures of every service answered in the last 12 months.

    Answers age out of the 12-month window without anyone answering anew, so
    the daily job refreshes them too.
    """
    now = now or timezone.now()
    service_ids = (
        Connection.objects.filter(answered_at__gte=now - timedelta(days=365 + 31))
        .values_list("service_id", flat=True)
        .distinct()
    )
    count = 0
    for service_id in list(service_ids):
        connection_stats_refresh(service_id=service_id, now=now)
        count += 1
    return count
