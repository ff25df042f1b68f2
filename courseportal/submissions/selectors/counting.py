"""The two rules every page, e-mail and the gradebook share.

- ``scores_visible``: may this viewer see this assignment's scores now (held until release);
- ``counted_results``: which submission of each student counts for each assignment (the
  assignment's ``counted_submission``: best, latest, or latest on time), in one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple

from django.contrib.auth.models import User
from django.db.models import Case, F, FloatField, IntegerField, Max, Q, QuerySet, Value, When, Window
from django.db.models.functions import Cast, NullIf, RowNumber
from django.utils.translation import gettext_lazy

from courseportal.courses.models import Assignment
from courseportal.points import points_text
from courseportal.submissions.models import GradeChange, Result, Submission

# --- Release: who may see scores --------------------------------------------------------------

def scores_released(*, assignment: Assignment) -> bool:
    """Whether students see ``assignment``'s scores: it never held them, or they were released."""
    return not assignment.holds_scores or assignment.scores_released_at is not None


def scores_visible(*, assignment: Assignment, teaches: bool) -> bool:
    """May this viewer see ``assignment``'s scores now? Its staff (``teaches``) always; students once
    the scores are released (or were never held).

    The one rule: every page, the result e-mail and the gradebook's student-facing parts ask it.
    Where it says no, a graded result shows "graded, not yet released" and no score, points or
    history of scores; a file refused as unreadable is not a score and is always shown.
    """
    return teaches or scores_released(assignment=assignment)


def result_has_score(result: Result | None) -> bool:
    """Whether ``result`` carries a score the release rule may hold back (not a refusal, an error, or a
    report still awaiting its TA, which say nothing about points)."""
    return result is not None and (result.is_overridden or (
        result.status == Result.Status.GRADED and not result.awaits_manual_grading))


# --- Which submission counts --------------------------------------------------------------------

CountedSubmission = Assignment.CountedSubmission
RULE_SUMMARIES = {
    CountedSubmission.BEST: gettext_lazy("Your best submission counts."),
    CountedSubmission.LATEST: gettext_lazy("Your latest submission counts."),
    CountedSubmission.LATEST_ON_TIME: gettext_lazy(
        "Your latest submission on time counts (if none was on time, your latest)."),
}
RULE_SHORT_LABELS = {
    CountedSubmission.BEST: gettext_lazy("best"),
    CountedSubmission.LATEST: gettext_lazy("latest"),
    CountedSubmission.LATEST_ON_TIME: gettext_lazy("latest on time"),
}
PENDING_LABEL = gettext_lazy("pending")


class CountedResult(NamedTuple):
    """The submission that counts for one student and assignment, and what it is worth."""

    # Floats, not Decimals: the gradebook builds 15,000 of these, and Decimals cost more than the page.
    student_id: int
    assignment_id: int
    submission_id: int
    score: float  # what it counts for (after late penalty, or the override); 0 while awaiting its TA
    max_score: float
    late_periods: int
    overridden: bool
    awaiting_grading: bool  # a report awaiting its TA: no score yet, whatever ``score`` says
    provisional: bool  # a report that could still change this awaits its TA (for the best: any of them)
    # When it was received; only read for the student's pages (``with_receipt_times``): 15,000 datetimes
    # cost the gradebook a third of its time.
    received_at: datetime | None = None

    @property
    def is_late(self) -> bool:
        return self.late_periods > 0

    @property
    def display(self) -> str:
        """The score as every page writes it (8.5, 0.625, 10); "pending" while a TA has not graded it."""
        return str(PENDING_LABEL) if self.awaiting_grading else points_text(self.score)

    @property
    def fraction(self) -> float:
        """The share of the maximum earned; 0 while awaiting grading (pending counts as nothing)."""
        if self.awaiting_grading or not self.max_score:
            return 0.0
        return self.score / self.max_score


def counted_results(
    *, assignments: Sequence[Assignment], student_ids: Iterable[int] | None = None, with_receipt_times: bool = False,
) -> dict[tuple[int, int], CountedResult]:
    """For each (student id, assignment id), the submission that counts under the assignment's rule.

    - best: the highest counted score (after penalty or override); a report awaiting its TA only
      when none of the student's reports was graded; ties go to the latest;
    - latest: the latest submission with a result;
    - latest on time: the latest received on time (or within the grace period); the latest when
      none was on time.

    Grader errors never count; files refused as unreadable count as zero. One query however many
    students and assignments: the database ranks each student's results per assignment with a
    window function and keeps the first.
    """
    if not assignments:
        return {}
    rules = {a.counted_submission for a in assignments}
    best_ids = {a.pk for a in assignments if a.counted_submission == CountedSubmission.BEST}
    partition = [F("submission__assignment_id"), F("submission__student_id")]
    results = _countable(assignment_ids=[a.pk for a in assignments], student_ids=student_ids)
    ranked = _counted_values(
        results.annotate(rank=Window(RowNumber(), partition_by=partition, order_by=_ranking(assignments, rules)),
                         any_awaiting=Window(Max(AWAITING), partition_by=partition))
        .filter(rank=1), with_receipt_times=with_receipt_times)
    counted = {}
    # Positional: the gradebook builds 15,000 of these.
    for student_id, assignment_id, submission_id, score, max_score, late_periods, overridden, awaits, any_awaiting, \
            received_at in ranked:
        counted[(student_id, assignment_id)] = CountedResult(
            student_id, assignment_id, submission_id, score or 0.0, max_score, late_periods, overridden == 1, awaits,
            bool(any_awaiting) if assignment_id in best_ids else awaits, received_at)
    return counted


def counted_result_of(*, assignment: Assignment, student: User) -> CountedResult | None:
    """The submission of ``student`` that counts for ``assignment``, or None when none does yet.

    The rule of ``counted_results`` (its filter and ``_ranking``) applied to one student's few
    results, all of them ranked by the database, without the window functions: building those costs
    ten times what the query costs to run, and every result page and each upload's last poll asks.
    """
    ranked = list(_counted_values(
        _countable(assignment_ids=[assignment.pk], student_ids=[student.pk])
        .annotate(any_awaiting=Value(0, output_field=IntegerField()))
        .order_by(*_ranking([assignment], {assignment.counted_submission})), with_receipt_times=True))
    if not ranked:
        return None
    student_id, assignment_id, submission_id, score, max_score, late_periods, overridden, awaits, _, received_at = \
        ranked[0]
    # For the best, a report awaiting its TA could still become the best: any of them makes it provisional.
    provisional = any(awaiting for *_, awaiting, _, _ in ranked) \
        if assignment.counted_submission == CountedSubmission.BEST else awaits
    return CountedResult(student_id, assignment_id, submission_id, score or 0.0, max_score, late_periods,
                         overridden == 1, awaits, provisional, received_at)


def _countable(*, assignment_ids: list[int], student_ids: Iterable[int] | None) -> QuerySet[Result]:
    """The results that may count: scored (refusals score zero) or awaiting their TA; never grader errors."""
    results = Result.objects.filter(Q(counted_score__isnull=False) | Q(awaits_manual_grading=True),
                                    submission__assignment_id__in=assignment_ids)
    if student_ids is not None:
        results = results.filter(submission__student_id__in=list(student_ids))
    return results


def _counted_values(results: QuerySet[Result], *, with_receipt_times: bool) -> QuerySet:
    """``results`` (annotated with ``any_awaiting``) as the rows a ``CountedResult`` is made from."""
    # Plain numbers, not Decimals: converting 15,000 rows' columns in Python costs more than the query.
    return (results.annotate(score_value=Cast("counted_score", FloatField()),
                             max_score_value=Cast("max_score", FloatField()),
                             overridden=Case(When(override_score__isnull=False, then=Value(1)), default=Value(0),
                                             output_field=IntegerField()),
                             no_receipt_time=Value(None, output_field=IntegerField()))
            .values_list("submission__student_id", "submission__assignment_id", "submission_id", "score_value",
                         "max_score_value", "late_periods", "overridden", "awaits_manual_grading", "any_awaiting",
                         "submission__received_at" if with_receipt_times else "no_receipt_time"))


AWAITING = Case(When(awaits_manual_grading=True, then=Value(1)), default=Value(0), output_field=IntegerField())


def _ranking(assignments: Sequence[Assignment], rules: set[str]) -> list:
    """The order that puts the submission that counts first, per student and assignment.

    Newest first at the end, like the submission_history index (assignment, student, -created_at).
    A class whose assignments share one rule gets a plain order; mixed rules pick per row with CASE.
    """
    newest_first = [F("submission__created_at").desc(), F("submission_id").desc()]
    late = Case(When(late_periods__gt=0, then=Value(1)), default=Value(0), output_field=IntegerField())
    fraction = Cast(F("counted_score"), FloatField()) / NullIf(Cast(F("max_score"), FloatField()), Value(0.0))
    if rules == {CountedSubmission.BEST}:
        return [AWAITING.asc(), fraction.desc(nulls_last=True), *newest_first]
    if rules == {CountedSubmission.LATEST}:
        return newest_first
    if rules == {CountedSubmission.LATEST_ON_TIME}:
        return [late.asc(), *newest_first]
    best = Q(submission__assignment_id__in=[a.pk for a in assignments if a.counted_submission == CountedSubmission.BEST])
    on_time_rule = Q(submission__assignment_id__in=[
        a.pk for a in assignments if a.counted_submission == CountedSubmission.LATEST_ON_TIME])
    first_pass = Case(When(best & Q(awaits_manual_grading=True), then=Value(1)),
                      When(on_time_rule & Q(late_periods__gt=0), then=Value(1)),
                      default=Value(0), output_field=IntegerField())
    best_fraction = Case(When(best, then=fraction), default=Value(None), output_field=FloatField())
    return [first_pass.asc(), best_fraction.desc(nulls_last=True), *newest_first]


# --- Grade history -----------------------------------------------------------------------------

def grade_history(*, submission: Submission) -> QuerySet[GradeChange]:
    """Every score change of ``submission``, oldest first (callers check the viewer may see scores)."""
    return GradeChange.objects.filter(submission=submission).select_related("changed_by").order_by("changed_at", "id")
