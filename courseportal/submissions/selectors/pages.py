"""What the submission pages show, read in a constant number of queries per page.

The student's assignment page and result page, the staff's per-assignment list (one row per
student) and per-student history, a regrade's progress. Each read applies the release rule
(``scores_visible``) and the counted-submission rule (``counted_results``) once, so no template
decides either.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, OuterRef, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from courseportal.courses.deadlines import Lateness, UploadWindow, late_description, time_rules, upload_window
from courseportal.courses.models import Assignment, Extension, Membership
from courseportal.points import points_text
from courseportal.submissions.models import GradeChange, Regrade, RegradeItem, Result, Submission
from courseportal.submissions.selectors.counting import (
    RULE_SHORT_LABELS,
    RULE_SUMMARIES,
    CountedResult,
    counted_result_of,
    counted_results,
    result_has_score,
    scores_visible,
)

STUDENTS_PER_PAGE = 50


# --- The student's own pages ---------------------------------------------------------------------

@dataclass(frozen=True)
class HistoryRow:
    submission: Submission
    counts: bool
    lateness: Lateness


@dataclass(frozen=True)
class StudentAssignment:
    """One student's standing on one assignment: time rules, what counts, every upload."""

    window: UploadWindow
    counted: CountedResult | None
    rule_summary: str
    show_scores: bool
    history: tuple[HistoryRow, ...]


def student_assignment(*, assignment: Assignment, student: User, teaches: bool) -> StudentAssignment:
    """``student``'s uploads of ``assignment``, newest first, the one that counts marked, each one's lateness."""
    window = upload_window(assignment=assignment, student=student)
    counted = counted_result_of(assignment=assignment, student=student)
    submissions = (Submission.objects.filter(student=student, assignment=assignment).select_related("result")
                   .order_by("-created_at", "-id"))
    history = tuple(HistoryRow(submission=submission, counts=counted is not None and counted.submission_id == submission.pk,
                               lateness=window.rules.lateness(submission.received_at))
                    for submission in submissions)
    return StudentAssignment(window=window, counted=counted, history=history,
                             rule_summary=str(RULE_SUMMARIES[assignment.counted_submission]),
                             show_scores=scores_visible(assignment=assignment, teaches=teaches))


@dataclass(frozen=True)
class ChangeRow:
    change: GradeChange
    explanation: str


@dataclass(frozen=True)
class StatusFacts:
    """What the result's status block says around the result: late or not, its score shown or
    withheld. The page's poller asks for that block every few seconds while a file is graded, so
    it reads only what the block shows."""

    result: Result | None
    show_scores: bool
    lateness: Lateness

    @property
    def withheld(self) -> bool:
        """The result has a score this viewer may not see yet: say "graded, not yet released"."""
        return result_has_score(self.result) and not self.show_scores


@dataclass(frozen=True)
class SubmissionFacts(StatusFacts):
    """What the result page says around the result: the status block's facts, and counted or not,
    its grade history."""

    counted: CountedResult | None  # the student's submission that counts for the assignment
    rule_summary: str
    rule_label: str  # "best", "latest", "latest on time"
    changes: tuple[ChangeRow, ...]  # empty while the viewer may not see scores
    for_staff: bool

    @property
    def is_counted(self) -> bool:
        return self.counted is not None and self.result is not None and self.counted.submission_id == self.result.pk


def status_facts(*, submission: Submission, result: Result | None, teaches: bool) -> StatusFacts:
    assignment = submission.assignment
    return StatusFacts(
        result=result, show_scores=scores_visible(assignment=assignment, teaches=teaches),
        lateness=time_rules(assignment=assignment, student=submission.student).lateness(submission.received_at),
    )


def submission_facts(*, submission: Submission, result: Result | None, teaches: bool) -> SubmissionFacts:
    assignment = submission.assignment
    status = status_facts(submission=submission, result=result, teaches=teaches)
    # Until it has a result a submission has no score changes, and the counted line is not shown:
    # the page a student opens right after uploading asks the database for neither.
    changes = tuple(ChangeRow(change=change, explanation=change_explanation(change))
                    for change in grade_changes(submissions=[submission])) if status.show_scores and result else ()
    return SubmissionFacts(
        result=result, show_scores=status.show_scores, lateness=status.lateness, changes=changes,
        counted=counted_result_of(assignment=assignment, student=submission.student) if result else None,
        rule_summary=str(RULE_SUMMARIES[assignment.counted_submission]),
        rule_label=str(RULE_SHORT_LABELS[assignment.counted_submission]), for_staff=teaches,
    )


def grade_changes(*, submissions) -> list[GradeChange]:
    """The score changes of ``submissions``, oldest first (callers check the viewer may see scores)."""
    return list(GradeChange.objects.filter(submission__in=submissions).select_related("changed_by")
                .order_by("changed_at", "id"))


def change_explanation(change: GradeChange) -> str:
    """What explains a score change beside old → new, in the reader's language."""
    details = change.details or {}
    parts = []
    late = details.get("late")
    if isinstance(late, dict):
        parts.append(late_description(periods=late.get("periods", 0), per_hour=late.get("per_hour", False),
                                      percent_per_period=late.get("percent_per_period", 0)) or _("on time"))
    if details.get("rules_changed"):
        parts.append(_("the deadline or late policy changed"))
    if details.get("extension_withdrawn"):
        parts.append(_("extension withdrawn"))
    checked = details.get("reading_check")
    if isinstance(checked, dict):
        parts.extend(_reading_explanation(name, decided) for name, decided in checked.items()
                     if isinstance(decided, dict))
    if "override" in details and change.reason != GradeChange.Reason.OVERRIDE:
        before, after = details.get("score", [None, None])
        if before != after:
            parts.append(_("score underneath the override: %(old)s → %(new)s; the override still counts")
                         % {"old": points_text(before), "new": points_text(after)})
    return "; ".join(part for part in parts if part)


def _reading_explanation(check: str, decided: dict) -> str:
    """ "conv2 output: read as “(1, 64, 8, 8)”, 0.625 points", or the points a TA entered instead."""
    points = points_text(decided.get("points"))
    reading = decided.get("reading")
    if reading is None:
        return _("%(check)s: %(points)s points, entered by the TA") % {"check": check, "points": points}
    if reading == "":
        return _("%(check)s: read as no answer, %(points)s points") % {"check": check, "points": points}
    return _("%(check)s: read as “%(reading)s”, %(points)s points") % {"check": check, "reading": reading,
                                                                        "points": points}


# --- Staff: one row per student ------------------------------------------------------------------

@dataclass(frozen=True)
class StudentRow:
    """One student on the staff's list of an assignment."""

    student: User
    submission_count: int
    latest: Submission | None
    latest_lateness: Lateness | None
    counted: CountedResult | None
    extension: Extension | None
    missing: bool  # their deadline has passed and nothing counts


def assignment_students(*, assignment: Assignment, account: str = "", awaiting_grading_only: bool = False,
                        page_number: str | int | None = None) -> tuple[Page, list[StudentRow]]:
    """Every student of the course on ``assignment``, a page at a time, those who submitted nothing
    included: latest upload, the one that counts, lateness, extension, missing work. Constant queries."""
    students = (get_user_model().objects.filter(memberships__course_id=assignment.course_id,
                                                memberships__role=Membership.Role.STUDENT)
                .annotate(submission_count=Count("submissions", filter=Q(submissions__assignment=assignment)))
                .order_by("username"))
    if account:
        students = students.filter(Q(username__icontains=account) | Q(first_name__icontains=account)
                                   | Q(last_name__icontains=account))
    if awaiting_grading_only:
        awaiting = Result.objects.filter(submission__assignment=assignment, submission__student=OuterRef("pk"),
                                         awaits_manual_grading=True, submission__status=Submission.Status.GRADED)
        students = students.filter(Exists(awaiting))
    page = Paginator(students, STUDENTS_PER_PAGE).get_page(page_number)
    ids = [student.pk for student in page]
    latest = {submission.student_id: submission for submission in (
        Submission.objects.filter(assignment=assignment, student_id__in=ids)
        .annotate(rank=Window(RowNumber(), partition_by=[F("student_id")],
                              order_by=[F("created_at").desc(), F("id").desc()]))
        .filter(rank=1).select_related("result"))}
    counted = counted_results(assignments=[assignment], student_ids=ids)
    extensions = {extension.student_id: extension
                  for extension in Extension.objects.filter(assignment=assignment, student_id__in=ids)}
    class_rules = time_rules(assignment=assignment, extension=None)
    now = timezone.now()
    rows = []
    for student in page:
        extension = extensions.get(student.pk)
        rules = class_rules if extension is None else time_rules(assignment=assignment, extension=extension)
        submission = latest.get(student.pk)
        found = counted.get((student.pk, assignment.pk))
        rows.append(StudentRow(
            student=student, submission_count=student.submission_count, latest=submission,
            latest_lateness=rules.lateness(submission.received_at) if submission else None,
            counted=found, extension=extension, missing=found is None and rules.deadline_passed(now)))
    return page, rows


@dataclass(frozen=True)
class StudentHistory:
    """Everything about one student's work on one assignment, for staff."""

    standing: StudentAssignment
    extension: Extension | None
    changes: tuple[ChangeRow, ...]


def student_history(*, assignment: Assignment, student: User) -> StudentHistory:
    standing = student_assignment(assignment=assignment, student=student, teaches=True)
    changes = grade_changes(submissions=[row.submission for row in standing.history])
    return StudentHistory(standing=standing, extension=standing.window.extension,
                          changes=tuple(ChangeRow(change=change, explanation=change_explanation(change))
                                        for change in changes))


# --- Regrades -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RegradeProgress:
    regrade: Regrade
    total: int
    done: int
    errors: int
    changed: tuple[RegradeItem, ...]  # finished with another score, the largest change first
    kept: tuple[RegradeItem, ...] = field(default=())  # hand grades and overrides left as they were

    @property
    def finished(self) -> bool:
        return self.regrade.finished_at is not None

    @property
    def percent(self) -> int:
        return 100 if not self.total else round(100 * self.done / self.total)


def regrade_progress(*, regrade: Regrade) -> RegradeProgress:
    """How far ``regrade`` has got and, of what is done, whose score changed by how much."""
    counts = regrade.items.aggregate(
        total=Count("id"), done=Count("id", filter=Q(finished_at__isnull=False)),
        errors=Count("id", filter=Q(outcome=RegradeItem.Outcome.ERROR)))
    finished = list(regrade.items.filter(finished_at__isnull=False).select_related("submission__student")
                    .order_by("submission__student__username", "submission_id"))
    changed = sorted((item for item in finished if item.old_score != item.new_score),
                     key=lambda item: -abs(item.change or 0))
    kept = [item for item in finished if item.outcome in (RegradeItem.Outcome.HAND_GRADE_KEPT,
                                                          RegradeItem.Outcome.OVERRIDE_KEPT)]
    return RegradeProgress(regrade=regrade, total=counts["total"], done=counts["done"], errors=counts["errors"],
                           changed=tuple(changed), kept=tuple(kept))


def regrades_of(*, assignment: Assignment) -> list[Regrade]:
    """The whole-assignment regrades of ``assignment``, newest first."""
    return list(Regrade.objects.filter(assignment=assignment, whole_assignment=True).select_related("started_by")
                .order_by("-started_at", "-id")[:10])

