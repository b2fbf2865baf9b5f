"""Outcome measures answered at baseline, review and closure; instrument definitions."""

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, Organisation, Role, User
from accounts.services import audit_record
from core.exceptions import InvalidTransition, Refused, ValidationError
from referrals.models import (
    Referral,
    ReferralEvent,
)

from ..models import (
    CLOSURE_STATUSES,
    RECORDING_STATUSES,
    Answer,
    Instrument,
    Item,
    OutcomeMeasure,
    Timepoint,
)
from ..scoring import instrument_problems, score
from ..selectors import case_in_sight_of


def _may_record(actor: User, referral: Referral) -> bool:
    if actor.role == Role.LINK_WORKER:
        return referral.link_worker_id == actor.pk
    if actor.role == Role.COORDINATOR:
        return actor.organisation_id is not None and referral.scheme_id == actor.organisation_id
    return False


def _clean_answers(items: Sequence[Item], answers: Mapping[Any, object]) -> dict[int, int]:
    """Every item answered with a whole number in its range; errors name the item."""
    errors: dict[str, list[str]] = {}
    clean: dict[int, int] = {}
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
    *,
    referral: Referral,
    instrument: Instrument,
    timepoint: str,
    answers: Mapping[Any, object],
    actor: User,
    answered_on: date | None = None,
    request: HttpRequest | None = None,
) -> OutcomeMeasure:
    """Record one instrument answered at one timepoint, scored by the one engine.

    Refuses (changing nothing) an instrument the scheme may not use, a
    timepoint the case is not at, a second baseline or closure, a date in
    the future, and any missing or out-of-range answer, naming the item.
    """
    if not _may_record(actor, referral):
        raise (InvalidTransition if case_in_sight_of(actor, referral) else Refused)(
            _("This case is not one you can record outcomes for.")
        )
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


def outcome_view_record(
    *, referral: Referral, actor: User, request: HttpRequest | None = None
) -> AuditEvent:
    """Audit one read of a case's outcomes (reads of a person's record are audited)."""
    return audit_record(
        actor=actor, action=AuditEvent.Action.VIEW, obj=referral.person, request=request,
        detail=f"outcomes of referral {referral.reference}", records=[referral.reference],
    )  # fmt: skip


@transaction.atomic
def instrument_definition_errors(
    *,
    code: str,
    scheme: Organisation | None,
    scoring: str,
    conversion_table: dict[str, Any] | None,
    items: list[Item],
) -> dict[str, list[str]]:
    """Why this definition cannot be saved, by field (empty when it can).

    The engine must be able to score it, the code must not be another scheme's,
    and once answers exist the number of items and an answered item's range and
    scoring cannot change (the scores would no longer add up). The admin checks
    a form with this before `instrument_define` saves it.
    """
    existing = Instrument.objects.filter(code=code).first()
    if existing and existing.scheme_id != (scheme.pk if scheme else None):
        message = _("The code %(code)s is already used by another scheme's instrument.") % {
            "code": code
        }
        return {"code": [message]}
    problems = instrument_problems(
        scoring=scoring, conversion_table=conversion_table or {}, items=items
    )
    if problems:
        return {"items": problems}
    if existing is None:
        return {}
    current = {item.order: item for item in existing.items.all()}
    answered = set(
        Answer.objects.filter(item__instrument=existing).values_list("item__order", flat=True)
    )
    if answered and len(items) != len(current):
        return {
            "items": [_("Answers to this instrument exist, so its number of items cannot change.")]
        }
    for draft in items:
        old = current.get(draft.order)
        shape = (draft.min_value, draft.max_value, draft.reverse_scored)
        if old and draft.order in answered and shape != (
            old.min_value, old.max_value, old.reverse_scored
        ):  # fmt: skip
            message = _("Item %(order)s has answers, so its range and scoring cannot change.") % {
                "order": draft.order
            }
            return {"items": [message]}
    return {}


def instrument_define(
    *, code: str, name: str, scoring: str, items: list[dict[str, Any]], name_cy: str = "",
    description: str = "", description_cy: str = "", licence: str = "",
    higher_is_better: bool = True, conversion_table: dict[str, Any] | None = None,
    scheme: Organisation | None = None, active: bool = True,
) -> Instrument:  # fmt: skip
    """Create an instrument, or update one by its code, with its items in order.

    `items` are dicts of Item fields (label, text, min_value, max_value...).
    Refuses a definition the engine could not score, and any change to an
    item's range once answers to it exist (they would no longer add up).
    """
    drafts = [Item(order=n, **fields) for n, fields in enumerate(items, 1)]
    errors = instrument_definition_errors(
        code=code, scheme=scheme, scoring=scoring, conversion_table=conversion_table, items=drafts
    )
    if errors:
        raise ValidationError(" ".join(sum(errors.values(), [])), field_errors=errors)
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
    for draft in drafts:
        old = current.get(draft.order)
        draft.instrument = instrument
        draft.pk = old.pk if old else None
        draft.save()
    Item.objects.filter(instrument=instrument, order__gt=len(drafts)).delete()
    return instrument
