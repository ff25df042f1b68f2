"""Staff regrades: one submission now, or a whole assignment in the background after a checker fix.

A ``Regrade`` records who asked and, per submission, the score before and after (``RegradeItem``), so
its page shows progress and, afterwards, whose score changed by how much; the grading pipeline fills
in the "after" as each result is stored, and records the change in the grade history with the
person who asked. A regrade never replaces a TA's hand grade (those submissions are left as graded)
and never an override (the new score goes underneath it).
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from courseportal.courses.models import Assignment
from courseportal.submissions.models import Regrade, RegradeItem, Result, Submission
from courseportal.submissions.services.pipeline import (
    checker_of,
    submission_enqueue,
    submission_publish,
)
from courseportal.submissions.services.publishing import maintenance_task_send
from courseportal.submissions.services.refusals import Refused
from grader.registry import get_checker

Status = Submission.Status
# The task that hands a whole-assignment regrade to the broker; courseportal/submissions/tasks.py registers it.
REGRADE_PUBLISH_TASK = "submissions.regrade_publish"
HAND_GRADED = Q(result__manually_graded_at__isnull=False)


class RegradeRefused(Refused):
    """Nothing was queued again; ``message`` tells staff why."""


@transaction.atomic
def submission_regrade(*, submission: Submission, requested_by: User | None = None) -> bool:
    """Queue a graded (or failed) submission again, ahead of background work; False if it is
    already waiting or running.

    Raises ``RegradeRefused`` for a submission a TA graded by hand: a machine check would replace
    the TA's grade (staff change that grade on the grading page instead).
    """
    updated = (
        Submission.objects.filter(pk=submission.pk, status__in=[Status.GRADED, Status.FAILED])
        .exclude(HAND_GRADED)
        .update(status=Status.QUEUED, attempts=0, enqueued_at=None, claimed_at=None, lease_expires_at=None)
    )
    if updated != 1:
        if Result.objects.filter(submission_id=submission.pk, manually_graded_at__isnull=False).exists():
            raise RegradeRefused(_("A TA graded this report by hand, so it is not regraded automatically: "
                                   "a regrade would replace their grade. Change the grade on the grading page."))
        return False
    regrade = Regrade.objects.create(assignment_id=submission.assignment_id, started_by=requested_by)
    RegradeItem.objects.create(regrade=regrade, submission_id=submission.pk, old_score=_counted(submission.pk))
    Submission.objects.filter(pk=submission.pk).update(regrade=regrade)
    checker = get_checker(submission.assignment.checker_slug)
    transaction.on_commit(lambda: submission_enqueue(submission_id=submission.pk, checker=checker))
    return True


@transaction.atomic
def assignment_regrade(*, assignment: Assignment, started_by: User | None) -> Regrade:
    """Grade every graded submission of ``assignment`` again, in the background, behind fresh uploads.

    Submissions a TA graded by hand are listed as kept and not queued; those waiting or being graded
    are graded by the current checker anyway. Returns the regrade (its items say how far it got).
    Raises ``RegradeRefused`` while an earlier regrade of the whole assignment is still running.
    """
    running = Regrade.objects.filter(assignment=assignment, whole_assignment=True, finished_at__isnull=True).first()
    if running is not None:
        raise RegradeRefused(_("A regrade of this assignment is already running; wait until it has finished."))
    now = timezone.now()
    regrade = Regrade.objects.create(assignment=assignment, started_by=started_by, whole_assignment=True)
    submissions = Submission.objects.filter(assignment=assignment)
    kept = list(submissions.filter(HAND_GRADED).values_list("pk", "result__counted_score"))
    regradable = submissions.filter(status__in=[Status.GRADED, Status.FAILED]).exclude(HAND_GRADED)
    old_scores = dict(regradable.values_list("pk", "result__counted_score"))
    regradable.filter(pk__in=list(old_scores)).update(
        status=Status.QUEUED, attempts=0, enqueued_at=None, claimed_at=None, lease_expires_at=None, regrade=regrade)
    queued = Submission.objects.filter(regrade=regrade, status=Status.QUEUED).values_list("pk", flat=True)
    RegradeItem.objects.bulk_create(
        [RegradeItem(regrade=regrade, submission_id=pk, old_score=old_scores.get(pk)) for pk in queued]
        + [RegradeItem(regrade=regrade, submission_id=pk, old_score=score, new_score=score, finished_at=now,
                       outcome=RegradeItem.Outcome.HAND_GRADE_KEPT) for pk, score in kept],
        batch_size=1000,
    )
    if not regrade.items.filter(finished_at__isnull=True).exists():
        Regrade.objects.filter(pk=regrade.pk).update(finished_at=now)
    transaction.on_commit(lambda: maintenance_task_send(task=REGRADE_PUBLISH_TASK, args=[regrade.pk]))
    return regrade


def regrade_publish(*, regrade_id: int) -> int:
    """Hand a regrade's waiting submissions to the broker at background priority; returns how many
    went. Stops at the first sign the broker is down: the sweep sends the rest."""
    sent = 0
    waiting = (Submission.objects.filter(regrade_id=regrade_id, status=Status.QUEUED, enqueued_at__isnull=True)
               .select_related("assignment", "regrade").order_by("id"))
    for submission in waiting.iterator():
        checker = checker_of(submission)
        if checker is None:
            continue
        outcome = submission_publish(submission_id=submission.pk, checker=checker, background=True)
        if outcome == "broker_down":
            break
        sent += outcome == "sent"
    return sent


def _counted(submission_id: int):
    return Result.objects.filter(submission_id=submission_id).values_list("counted_score", flat=True).first()
