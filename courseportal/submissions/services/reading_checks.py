"""TAs checking how the grader read answers it could not read with confidence.

A check the grader was unsure of is ``uncertain`` and lists its ``readings`` (``grader/results.py``);
it keeps the best points any reading gives, so the student is never marked wrong for how the grader
read them, and the result ``awaits_reading_check``: the submission is on the TA's "check how it was
read" list of its assignment. A TA confirms or corrects each uncertain check (choosing a reading, or
entering points); the new score goes into the grade history, with the chosen readings, and the
submission leaves the list.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courseportal.points import points_text, score_quantized
from courseportal.submissions.models import GradeChange, Result, Submission
from courseportal.submissions.services.notify import result_notify
from courseportal.submissions.services.refusals import Refused
from courseportal.submissions.services.scores import result_change


class ReadingCheckRefused(Refused):
    """The check was not stored; ``message`` tells the TA why and what to do."""


@transaction.atomic
def result_reading_check(
    *, submission: Submission, checked_by: User, points: Mapping[str, Decimal | float | int],
    chosen: Mapping[str, str] | None = None, note: str = "",
) -> Result:
    """Store a TA's points for each uncertain check of ``submission``'s result and take it off the
    "check how it was read" list; the change (or the confirmation, if no score changed) goes into
    the grade history with ``note`` and, per check, the points and the reading chosen (``chosen``:
    its text, "" for "no answer"; absent when the TA entered points instead). The student is
    e-mailed when the score changed. The caller checks that ``checked_by`` may grade the course.

    Raises ``ReadingCheckRefused`` (storing nothing) when the result does not await a reading check,
    the file is being graded again, or a check's points are missing or outside 0..its maximum.
    """
    result = Result.objects.select_for_update().filter(submission_id=submission.pk).first()
    if result is None or not result.awaits_reading_check or result.status != Result.Status.GRADED:
        raise ReadingCheckRefused(_("This submission has no answers waiting for a TA to check how they were read."))
    if Submission.objects.filter(pk=submission.pk).values_list("status", flat=True).first() != \
            Submission.Status.GRADED:
        raise ReadingCheckRefused(_("The file is being graded again; check it once that has finished."))
    chosen = chosen or {}
    checks = [dict(check) for check in result.checks]
    decided: dict[str, dict[str, Any]] = {}
    # The score moves by what the checked answers gain or lose: the rest of it is the checker's, as it was.
    score = result.score
    for check in checks:
        if not check.get("uncertain"):
            continue
        earned = _points_within(check, points.get(check["name"]))
        score += earned - score_quantized(check["points"])
        check.update(points=float(earned), passed=earned >= score_quantized(check["max_points"]),
                     uncertain=False, reading_checked=True)
        decided[check["name"]] = {"points": float(earned), "reading": chosen.get(check["name"])}
    updated = result_change(
        submission_id=submission.pk, reason=GradeChange.Reason.READING_CHECK, changed_by=checked_by,
        note=note, details={"reading_check": decided}, record_unchanged=True,
        fields={"checks": checks, "score": min(max(score, Decimal(0)), result.max_score),
                "awaits_reading_check": False,
                "reading_checked_at": timezone.now(), "reading_checked_by": checked_by},
    )
    if updated.counted_score != result.counted_score:
        Result.objects.filter(pk=submission.pk).update(notified_at=None)
        transaction.on_commit(lambda: result_notify(submission_id=submission.pk))
    return updated


def _points_within(check: Mapping[str, Any], points: Decimal | float | int | None) -> Decimal:
    try:
        value = None if points is None or isinstance(points, bool) else score_quantized(points)
    except (InvalidOperation, ValueError):
        value = None
    maximum = score_quantized(check["max_points"])
    if value is None or not value.is_finite() or not 0 <= value <= maximum:
        raise ReadingCheckRefused(_("%(check)s: choose a reading or enter points from 0 to %(max)s.")
                                  % {"check": check["name"], "max": points_text(maximum)})
    return value


def reading_checks_carried(*, previous: Result | None, fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` of a new grading (a regrade) with the TA's earlier reading checks kept where they
    still apply: a check the TA decided that comes back uncertain between the same readings keeps the
    TA's points instead of going back on the list. Anything else is read anew (and, if uncertain,
    goes on the list again)."""
    if previous is None or previous.reading_checked_at is None or not fields.get("awaits_reading_check"):
        return fields
    decided = {check["name"]: check for check in previous.checks
               if isinstance(check, dict) and check.get("reading_checked")}
    checks = [dict(check) for check in fields["checks"]]
    score = score_quantized(fields["score"])
    carried = False
    for check in checks:
        before = decided.get(check.get("name"))
        if not check.get("uncertain") or before is None or _reading_texts(before) != _reading_texts(check):
            continue
        earned = score_quantized(before["points"])
        score += earned - score_quantized(check["points"])
        check.update(points=float(earned), passed=before["passed"], uncertain=False, reading_checked=True)
        carried = True
    if not carried:
        return fields
    return {**fields, "checks": checks, "score": min(max(score, Decimal(0)), score_quantized(fields["max_score"])),
            "awaits_reading_check": any(check.get("uncertain") for check in checks),
            "reading_checked_at": previous.reading_checked_at, "reading_checked_by": previous.reading_checked_by}


def _reading_texts(check: Mapping[str, Any]) -> list[str]:
    return sorted(str(reading.get("text", "")) for reading in check.get("readings", []) if isinstance(reading, dict))
