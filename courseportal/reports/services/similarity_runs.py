"""Comparing the text of an assignment's reports, in the background (``reports.similarity_run`` on the
maintenance queue): an instructor starts a run; a worker reads each report's text (once per stored
file: ``document_reading_ensure``, in the sandbox within bounds, for files never read), compares them
(``courseportal.reports.similarity``) and stores the pairs above ``STORED_FLOOR`` with their shared
passages. The page lists those above the instructor's threshold, and the reports that were not
compared (no text: a scan, a file that could not be read)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courseportal.courses.models import Assignment
from courseportal.reports.models import SimilarityRun, SimilarPair
from courseportal.reports.selectors import reports_to_grade
from courseportal.reports.similarity import similar_pairs
from courseportal.submissions.services.documents import document_reading_ensure
from courseportal.submissions.services.publishing import maintenance_task_send
from courseportal.submissions.services.refusals import Refused
from grader.registry import get_checker

logger = logging.getLogger(__name__)
# The task that runs a comparison; courseportal/reports/tasks.py registers it.
SIMILARITY_TASK = "reports.similarity_run"
# Pairs are kept from this similarity up, so that the instructor can lower the threshold without a new run.
STORED_FLOOR = 0.15
MAX_STORED_PAIRS = 500
# A run that has not finished after this long (a worker died) may be started again.
STALE_AFTER_SECONDS = 15 * 60


class RunRefused(Refused):
    """No run was started; ``message`` says why."""


@transaction.atomic
def similarity_run_start(*, assignment: Assignment, started_by: User) -> SimilarityRun:
    """Queue a comparison of ``assignment``'s reports. Raises ``RunRefused`` while one is running."""
    recent = timezone.now() - timedelta(seconds=STALE_AFTER_SECONDS)
    if SimilarityRun.objects.filter(assignment=assignment, finished_at__isnull=True, started_at__gt=recent).exists():
        raise RunRefused(_("A comparison of these reports is already running; its results appear here when it ends."))
    run = SimilarityRun.objects.create(assignment=assignment, started_by=started_by)
    transaction.on_commit(lambda: maintenance_task_send(task=SIMILARITY_TASK, args=[run.pk]))
    return run


def similarity_run_execute(*, run_id: int) -> SimilarityRun | None:
    """Run a queued comparison (claimed once: a task delivered twice does nothing the second time)."""
    claimed = SimilarityRun.objects.filter(pk=run_id, state=SimilarityRun.State.QUEUED).update(
        state=SimilarityRun.State.RUNNING)
    if claimed != 1:
        return None
    run = SimilarityRun.objects.select_related("assignment").get(pk=run_id)
    checker = get_checker(run.assignment.checker_slug)
    texts, not_compared = {}, []
    for submission in reports_to_grade(assignment=run.assignment).order_by("id"):
        reading = document_reading_ensure(blob_id=submission.blob_id)
        if reading.has_text_layer:
            texts[submission.pk] = reading.text()
        else:
            not_compared.append(submission.pk)
    pairs, too_short = similar_pairs(texts, statements=checker.problem_statements, floor=STORED_FLOOR)
    with transaction.atomic():
        SimilarPair.objects.bulk_create([
            SimilarPair(run=run, first_id=pair.first, second_id=pair.second, similarity=pair.similarity,
                        passages=[list(passage) for passage in pair.passages])
            for pair in pairs[:MAX_STORED_PAIRS]])
        SimilarityRun.objects.filter(pk=run_id).update(
            state=SimilarityRun.State.FINISHED, finished_at=timezone.now(), compared=len(texts) - len(too_short),
            not_compared=sorted(not_compared + too_short))
    logger.info("similarity run %s: %d reports compared, %d pairs kept", run_id, len(texts), min(len(pairs),
                                                                                              MAX_STORED_PAIRS))
    return SimilarityRun.objects.get(pk=run_id)
