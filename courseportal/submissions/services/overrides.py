"""Staff overriding a submission's score, with a reason, in the grade history.

An override is the score that counts, whatever the checker, a TA's hand grade or the late penalty
say; a regrade changes the score underneath it and records that, but never the override. Removing it
makes the score underneath count again. The caller checks that ``changed_by`` may grade the course.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from courseportal.points import points_text, score_quantized
from courseportal.submissions.models import GradeChange, Result, Submission
from courseportal.submissions.services.notify import result_notify
from courseportal.submissions.services.refusals import Refused
from courseportal.submissions.services.scores import result_change


class OverrideRefused(Refused):
    """The score was not changed; ``message`` tells staff why."""


@transaction.atomic
def result_override(*, submission: Submission, changed_by: User, score: Decimal | float | None, reason: str) -> Result:
    """Make ``score`` the one that counts for ``submission`` (None: remove the override), for ``reason``.

    Raises ``OverrideRefused`` (changing nothing) without a reason, for a score outside 0..the
    maximum, or for a submission with no result yet (it is still being graded).
    """
    reason = reason.strip()
    if not reason:
        raise OverrideRefused(_("Say why: the student sees the reason in the grade history."))
    current = Result.objects.select_for_update().filter(submission_id=submission.pk).first()
    if current is None:
        raise OverrideRefused(_("This submission has no result yet; wait until it is graded."))
    if score is None:
        if current.override_score is None:
            raise OverrideRefused(_("This score is not overridden."))
        change = GradeChange.Reason.OVERRIDE_REMOVED
    else:
        score = _within(score, maximum=current.max_score)
        change = GradeChange.Reason.OVERRIDE
    result = result_change(submission_id=submission.pk, reason=change, changed_by=changed_by, note=reason,
                           fields={"override_score": score, "notified_at": None})
    transaction.on_commit(lambda: result_notify(submission_id=submission.pk))
    return result


def _within(score: Decimal | float, *, maximum: Decimal) -> Decimal:
    try:
        value = score_quantized(score)
    except (InvalidOperation, ValueError):
        value = None
    if value is None or not value.is_finite() or not 0 <= value <= maximum:
        raise OverrideRefused(_("Enter a score from 0 to %(max)s.") % {"max": points_text(maximum)})
    return value
