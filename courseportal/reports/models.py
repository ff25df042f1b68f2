"""Grading reports by hand: the rubric, each problem's grade, who grades what, locks, regrade
requests and the similarity check of one assignment's reports.

A report's score lives where every score lives, in its ``Result`` (written only through
``courseportal.submissions.services.scores.result_change``, with the grade history); the rows here say
how it was arrived at, problem by problem, so that a rubric item changed later changes every grade
that used it.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courseportal.courses.models import Assignment
from courseportal.submissions.models import Submission


class GradingSetup(models.Model):
    """How one assignment's reports are graded: who grades what, whether graders see names, until
    when students may ask for a regrade, and from what share of shared text two reports are listed
    as similar."""

    class Split(models.TextChoices):
        FIRST_COME = "first_come", _("First come, first served")
        BY_STUDENT = "by_student", _("Reports shared evenly between graders")
        BY_PROBLEM = "by_problem", _("By problem: each grader grades one problem for everyone")

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, primary_key=True,
                                      related_name="grading_setup")
    split = models.CharField(max_length=16, choices=Split.choices, default=Split.FIRST_COME)
    # Graders see "Report 17", not the student's name, on the grading pages.
    anonymous = models.BooleanField(default=False)
    # Students may ask for a regrade of a released problem until then; none: not at all.
    regrade_requests_until = models.DateTimeField(null=True, blank=True)
    # Pairs of reports sharing at least this share of their own text are listed side by side.
    similarity_threshold = models.DecimalField(max_digits=3, decimal_places=2, default=Decimal("0.40"))

    def __str__(self) -> str:
        return f"grading of {self.assignment}"


class GraderShare(models.Model):
    """Work given to one grader: one student's report (every problem), or one problem (everyone's)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="grader_shares")
    grader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="+")
    problem = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignment", "student"], condition=models.Q(student__isnull=False),
                                    name="one_grader_per_student_report"),
            models.UniqueConstraint(fields=["assignment", "problem"], condition=~models.Q(problem=""),
                                    name="one_grader_per_problem"),
            models.CheckConstraint(condition=models.Q(student__isnull=True) ^ models.Q(problem=""),
                                   name="a_share_is_a_student_or_a_problem"),
        ]

    def __str__(self) -> str:
        return f"{self.grader_id} grades {self.problem or self.student_id} of {self.assignment_id}"


class RubricItem(models.Model):
    """A reusable rubric item of one problem of an assignment: a point adjustment and its comment.

    Seeded from the checker's ``rubric``; staff edit it. Changing an item's points changes every
    report it is applied to (recorded in each one's grade history).
    """

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="rubric_items")
    problem = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)
    points = models.DecimalField(max_digits=6, decimal_places=2)
    comment = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["problem", "position", "id"]
        indexes = [models.Index(fields=["assignment", "problem", "position"], name="rubric_of_problem")]

    def __str__(self) -> str:
        return f"{self.points:+} {self.comment}"


class ProblemGrade(models.Model):
    """A grader's grade of one problem of one report: the rubric items applied, their own adjustment
    and comment, and the points that come to (full points plus the adjustments, within 0..full)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="problem_grades")
    problem = models.CharField(max_length=100)
    items = models.ManyToManyField(RubricItem, blank=True, related_name="problem_grades")
    adjustment = models.DecimalField(max_digits=6, decimal_places=2, default=0)
    comment = models.TextField(blank=True)
    points = models.DecimalField(max_digits=6, decimal_places=2)
    graded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+")
    graded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["submission", "problem"], name="one_grade_per_problem")]

    def __str__(self) -> str:
        return f"{self.problem} of {self.submission_id}: {self.points}"


class GradingLock(models.Model):
    """A grader is grading this problem of this report until ``expires_at`` (renewed while their page
    is open): nobody else may save a grade for it meanwhile, and others see who holds it."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="grading_locks")
    problem = models.CharField(max_length=100)
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["submission", "problem"], name="one_lock_per_problem")]

    def __str__(self) -> str:
        return f"{self.problem} of {self.submission_id} held by {self.holder_id}"


class RegradeRequest(models.Model):
    """A student asks, after release, for one problem of their report to be looked at again."""

    class State(models.TextChoices):
        OPEN = "open", _("Waiting for a TA")
        ANSWERED = "answered", _("Answered")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="regrade_requests")
    problem = models.CharField(max_length=100)
    reason = models.TextField()
    requested_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN, db_index=True)
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    points_before = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    points_after = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [models.UniqueConstraint(fields=["submission", "problem"], condition=models.Q(state="open"),
                                               name="one_open_request_per_problem")]

    def __str__(self) -> str:
        return f"regrade request for {self.problem} of {self.submission_id} ({self.state})"


class SimilarityRun(models.Model):
    """One comparison of an assignment's reports, run in the background (``similarity.py``)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Comparing")
        FINISHED = "finished", _("Finished")

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="similarity_runs")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    compared = models.PositiveIntegerField(default=0)
    # Submissions whose report has no text to compare (a scan, a file that could not be read).
    not_compared = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"similarity run {self.pk} of {self.assignment_id} ({self.state})"


class SimilarPair(models.Model):
    """Two reports that share text: how much, and the passages they share (a few, the longest first)."""

    run = models.ForeignKey(SimilarityRun, on_delete=models.CASCADE, related_name="pairs")
    first = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    similarity = models.FloatField()
    # [[passage of the first, passage of the second], ...]
    passages = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-similarity", "id"]

    def __str__(self) -> str:
        return f"{self.first_id} ~ {self.second_id}: {self.similarity:.2f}"
