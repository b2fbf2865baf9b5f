"""Categories' need words: what people type when they need what a category offers."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, User
from accounts.services import audit_record
from core.exceptions import Refused, ValidationError

from .. import selectors
from ..exceptions import NothingChanged
from ..models import TaxonomyTerm
from ..search import text

MAX_NEEDS = 100
MAX_NEED_CHARACTERS = 60


def _tidy(raw: str, field: str, errors: dict[str, list[str]]) -> str:
    """One need a line, trimmed, without blanks or repeats; a clear error when too long."""
    needs: list[str] = []
    for line in raw.replace("\r", "").split("\n"):
        need = " ".join(line.split())
        if need and need.casefold() not in {n.casefold() for n in needs}:
            needs.append(need)
    too_long = [need for need in needs if len(need) > MAX_NEED_CHARACTERS]
    if too_long:
        errors.setdefault(field, []).append(
            _("Keep each line to %(count)s characters or fewer: “%(need)s…” is longer.")
            % {"count": MAX_NEED_CHARACTERS, "need": too_long[0][:30]}
        )
    if len(needs) > MAX_NEEDS:
        errors.setdefault(field, []).append(
            _("Give at most %(count)s needs.") % {"count": MAX_NEEDS}
        )
    unsearchable = [need for need in needs if not text.words(need)]
    if unsearchable:
        errors.setdefault(field, []).append(
            _("“%(need)s” has no letters or digits to search for.") % {"need": unsearchable[0]}
        )
    return "\n".join(needs)


def taxonomy_term_need_words_update(
    *, term: TaxonomyTerm, actor: User, need_words: str, need_words_cy: str
) -> TaxonomyTerm:
    """Set the words and phrases (one a line, English and Welsh) that find a category.

    Directory editors only (the permission that approves providers' changes); anyone
    else is refused as if the category were not there. Takes effect on the next
    search: need words are read when searching, so no service is re-indexed.
    """
    if not selectors.user_can_review_changes(actor):
        raise Refused(_("No such category."))
    errors: dict[str, list[str]] = {}
    english = _tidy(need_words, "need_words", errors)
    welsh = _tidy(need_words_cy, "need_words_cy", errors)
    if errors:
        raise ValidationError(_("Please correct the errors below."), field_errors=errors)
    with transaction.atomic():
        term = TaxonomyTerm.objects.select_for_update().get(pk=term.pk)
        if (term.need_words, term.need_words_cy) == (english, welsh):
            raise NothingChanged(_("Nothing was changed."))
        term.need_words, term.need_words_cy = english, welsh
        term.save(update_fields=["need_words", "need_words_cy"])
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CHANGE,
            obj=term,
            detail=f"need words of category {term.code} changed",
        )
    return term
