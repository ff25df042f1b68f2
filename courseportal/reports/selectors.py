"""Reads for grading reports: the class's reports and how far their grading has got, who grades what,
the next report for a grader, one report as its grader and as its student see it.

Every page here reads a constant number of queries however large the class (``assignment_reports``
builds the rows of all of them at once).
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from courseportal.courses.deadlines import regrade_requests_open
from courseportal.courses.models import Assignment, Membership
from courseportal.reports.models import (
    GraderShare,
    GradingLock,
    GradingSetup,
    ProblemGrade,
    RegradeRequest,
    RubricItem,
    SimilarityRun,
)
from courseportal.submissions.models import DocumentReading, Result, Submission
from courseportal.submissions.selectors import checker_for, scores_released
from grader.checker import ManualProblem

Status = Submission.Status


# --- The class's reports -------------------------------------------------------------------------

@dataclass(frozen=True)
class Lock:
    holder_id: int
    holder: str
    expires_at: datetime


@dataclass(frozen=True)
class GradedProblem:
    points: Decimal
    grader_id: int | None
    grader: str


@dataclass(frozen=True)
class Cell:
    """One problem of one report in the overview: its grade, or who holds it now, and whose it is."""

    grade: GradedProblem | None
    lock: Lock | None
    grader: str


@dataclass(frozen=True)
class ReportRow:
    """One student's report to grade (their latest readable upload) and how far its grading has got."""

    submission: Submission
    number: int  # what graders see instead of the name when grading is anonymous
    grades: dict[str, GradedProblem]
    locks: dict[str, Lock]
    graders: dict[str, int | None]  # the grader each problem is given to (None: anyone's)
    grader_names: dict[int, str] = field(default_factory=dict)

    @property
    def cells(self) -> list[Cell]:
        return [Cell(grade=self.grades.get(problem), lock=self.locks.get(problem),
                     grader=self.grader_names.get(owner, "") if owner is not None else "")
                for problem, owner in self.graders.items()]

    @property
    def student(self) -> User:
        return self.submission.student

    def ungraded(self) -> list[str]:
        return [problem for problem in self.graders if problem not in self.grades]

    @property
    def complete(self) -> bool:
        return not self.ungraded()

    def problems_for(self, grader_id: int) -> list[str]:
        """The problems given to ``grader_id`` in this report (all of them when it is anyone's)."""
        given = [problem for problem, owner in self.graders.items() if owner == grader_id]
        return given or [problem for problem, owner in self.graders.items() if owner is None]

    def locked_for(self, grader_id: int, now: datetime) -> dict[str, Lock]:
        return {problem: lock for problem, lock in self.locks.items()
                if lock.holder_id != grader_id and lock.expires_at > now}

    @property
    def total(self) -> Decimal:
        return sum((grade.points for grade in self.grades.values()), Decimal(0))


def setup_of(*, assignment: Assignment) -> GradingSetup:
    """The assignment's grading setup (unsaved defaults when it has none yet)."""
    return GradingSetup.objects.filter(assignment=assignment).first() or GradingSetup(assignment=assignment)


def report_problems(*, assignment: Assignment) -> tuple[ManualProblem, ...]:
    checker = checker_for(assignment=assignment)
    return checker.hand_graded_problems() if checker is not None and checker.manual_grading else ()


def report_numbers(*, assignment: Assignment) -> dict[int, int]:
    """Each student of the course's report number, 1..n: stable while the roster is, the same for
    every grader, and not guessable from the account (a keyed hash decides the order)."""
    students = Membership.objects.filter(course_id=assignment.course_id, role=Membership.Role.STUDENT) \
        .values_list("user_id", flat=True)
    key = settings.SECRET_KEY.encode()

    def order(student_id: int) -> str:
        return hmac.new(key, f"report-number:{assignment.pk}:{student_id}".encode(), hashlib.sha256).hexdigest()

    return {student_id: number for number, student_id in enumerate(sorted(students, key=order), start=1)}


def reports_to_grade(*, assignment: Assignment):
    """Each student's latest upload whose report could be stored (not refused as unreadable), as a
    queryset of submissions with their student."""
    ranked = (Submission.objects.filter(assignment=assignment, status__in=[Status.GRADED, Status.FAILED])
              .exclude(result__status=Result.Status.REJECTED).filter(result__isnull=False)
              .annotate(rank=Window(RowNumber(), partition_by=[F("student_id")],
                                    order_by=[F("created_at").desc(), F("id").desc()])))
    return ranked.filter(rank=1).select_related("student", "result")


def assignment_reports(*, assignment: Assignment, setup: GradingSetup | None = None) -> list[ReportRow]:
    """Every student's report to grade, with its grades, locks and graders; in the order graders work
    through them (by number when grading is anonymous, else by account). Six queries."""
    setup = setup or setup_of(assignment=assignment)
    problems = [problem.name for problem in report_problems(assignment=assignment)]
    submissions = list(reports_to_grade(assignment=assignment))
    ids = [submission.pk for submission in submissions]
    grades: dict[int, dict[str, GradedProblem]] = defaultdict(dict)
    for submission_id, problem, points, grader_id, grader in ProblemGrade.objects.filter(
            submission_id__in=ids).values_list("submission_id", "problem", "points", "graded_by_id",
                                               "graded_by__username"):
        grades[submission_id][problem] = GradedProblem(points=points, grader_id=grader_id, grader=grader or "")
    locks: dict[int, dict[str, Lock]] = defaultdict(dict)
    for lock in GradingLock.objects.filter(submission_id__in=ids, expires_at__gt=timezone.now()) \
            .select_related("holder"):
        locks[lock.submission_id][lock.problem] = Lock(lock.holder_id, lock.holder.get_username(), lock.expires_at)
    by_student, by_problem, names = _shares(assignment)
    numbers = report_numbers(assignment=assignment)
    rows = [ReportRow(submission=submission, number=numbers.get(submission.student_id, 0),
                      grades=grades[submission.pk], locks=locks[submission.pk], grader_names=names,
                      graders={problem: by_problem.get(problem, by_student.get(submission.student_id))
                               for problem in problems})
            for submission in submissions]
    rows.sort(key=(lambda row: row.number) if setup.anonymous else (lambda row: row.student.username))
    return rows


def split_initial(*, setup: GradingSetup) -> dict:
    """The split form as the reports are shared now: the mode, the graders sharing them evenly, or
    each problem's grader (by account)."""
    shares = GraderShare.objects.filter(assignment_id=setup.assignment_id).select_related("grader")
    initial: dict = {"split": setup.split, "graders": sorted({share.grader.username for share in shares
                                                              if share.student_id is not None})}
    initial.update({f"grader_{share.problem}": share.grader.username for share in shares if share.problem})
    return initial


def _shares(assignment: Assignment) -> tuple[dict[int, int], dict[str, int], dict[int, str]]:
    """Who grades each student's report and each problem, and the graders' accounts."""
    by_student, by_problem, names = {}, {}, {}
    for grader_id, grader, student_id, problem in GraderShare.objects.filter(assignment=assignment).values_list(
            "grader_id", "grader__username", "student_id", "problem"):
        names[grader_id] = grader
        if problem:
            by_problem[problem] = grader_id
        else:
            by_student[student_id] = grader_id
    return by_student, by_problem, names


# --- Progress --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProblemProgress:
    problem: ManualProblem
    graded: int
    total: int

    @property
    def percent(self) -> int:
        return 100 if not self.total else round(100 * self.graded / self.total)


@dataclass(frozen=True)
class GraderProgress:
    """One grader's work: problems of reports given to them, how many of those are graded, and how
    many problems they graded in all (theirs or anyone's)."""

    grader: User
    given: int
    given_graded: int
    graded: int

    @property
    def remaining(self) -> int:
        return self.given - self.given_graded


@dataclass(frozen=True)
class Progress:
    reports: int
    complete: int
    problems: tuple[ProblemProgress, ...]
    graders: tuple[GraderProgress, ...]
    unassigned_remaining: int  # ungraded problems that are anyone's


def grading_progress(*, assignment: Assignment, rows: list[ReportRow]) -> Progress:
    """How far grading has got: per problem, per grader, reports complete."""
    problems = report_problems(assignment=assignment)
    graders = list(User.objects.filter(memberships__course_id=assignment.course_id,
                                       memberships__role__in=[Membership.Role.TA, Membership.Role.INSTRUCTOR])
                   .order_by("username"))
    given: dict[int, int] = defaultdict(int)
    given_graded: dict[int, int] = defaultdict(int)
    graded: dict[int, int] = defaultdict(int)
    unassigned = 0
    for row in rows:
        for problem, owner in row.graders.items():
            done = problem in row.grades
            if owner is None:
                unassigned += not done
            else:
                given[owner] += 1
                given_graded[owner] += done
            if done and row.grades[problem].grader_id is not None:
                graded[row.grades[problem].grader_id] += 1
    return Progress(
        reports=len(rows), complete=sum(row.complete for row in rows),
        problems=tuple(ProblemProgress(problem=problem, total=len(rows),
                                       graded=sum(problem.name in row.grades for row in rows)) for problem in problems),
        graders=tuple(GraderProgress(grader=grader, given=given[grader.pk], given_graded=given_graded[grader.pk],
                                     graded=graded[grader.pk]) for grader in graders),
        unassigned_remaining=unassigned)


# --- Moving through the reports ----------------------------------------------------------------------

def next_report(*, rows: list[ReportRow], grader: User, after: int | None = None, backwards: bool = False,
                problem: str = "") -> ReportRow | None:
    """The next report (in the grading order, after the one with submission id ``after``, wrapping
    round) with a problem given to ``grader`` (or anyone's) still ungraded and not locked by another
    grader; ``problem`` limits it to that problem. None when there is none left."""
    now = timezone.now()
    order = rows[::-1] if backwards else rows
    start = next((index + 1 for index, row in enumerate(order) if row.submission.pk == after), 0)
    for row in order[start:] + order[:start]:
        if row.submission.pk == after:
            continue
        wanted = [name for name in row.problems_for(grader.pk) if not problem or name == problem]
        locked = row.locked_for(grader.pk, now)
        if any(name not in row.grades and name not in locked for name in wanted):
            return row
    return None


# --- One report, as its grader sees it --------------------------------------------------------------

@dataclass(frozen=True)
class ItemView:
    item: RubricItem
    key: str  # the key that toggles it on the grading page ("1".."9", then none)
    applied: bool


@dataclass(frozen=True)
class ProblemView:
    problem: ManualProblem
    items: tuple[ItemView, ...]
    grade: ProblemGrade | None
    editable: bool
    lock: Lock | None  # another grader's, when not editable for that reason
    mine: bool  # given to this grader (or anyone's)
    open_requests: tuple[RegradeRequest, ...] = ()

    @property
    def full(self) -> Decimal:
        return Decimal(str(self.problem.points))


@dataclass(frozen=True)
class ReportHints:
    """What the automatic check saw in the report: information for the grader and the student, never points."""

    reading: DocumentReading | None
    addressed: tuple[ManualProblem, ...]
    not_addressed: tuple[ManualProblem, ...]

    @property
    def unreadable(self) -> str:
        """Why the PDF could not be read within the bounds ("damaged", "password", "over_limits"), or ""."""
        return self.reading.problem if self.reading is not None and self.reading.pages is None else ""


def report_hints(*, submission: Submission) -> ReportHints:
    checker = checker_for(assignment=submission.assignment)
    reading = DocumentReading.objects.filter(blob_id=submission.blob_id).first()
    problems = report_problems(assignment=submission.assignment)
    if reading is None or checker is None or not reading.has_text_layer:
        return ReportHints(reading=reading, addressed=(), not_addressed=())
    found = set(checker.problems_addressed(reading.text()))
    return ReportHints(reading=reading, addressed=tuple(p for p in problems if p.name in found),
                       not_addressed=tuple(p for p in problems if p.name not in found))


def problem_views(*, submission: Submission, row: ReportRow | None, grader: User | None,
                  held: frozenset[str] = frozenset(), taken: dict | None = None) -> list[ProblemView]:
    """Each problem of the report with its rubric (keys numbered per problem), its grade, whether
    ``grader`` may change it now (they hold its lock), who else holds it (``taken``, as a claim says,
    and any other grader's lock on the row) and any regrade request waiting on it."""
    others = row.locked_for(grader.pk, timezone.now()) if row is not None and grader is not None else {}
    others.update({problem: Lock(holder.pk, holder.get_username(), until)
                   for problem, (holder, until) in (taken or {}).items()})
    items_by_problem: dict[str, list[RubricItem]] = defaultdict(list)
    for item in RubricItem.objects.filter(assignment_id=submission.assignment_id).order_by("problem", "position", "id"):
        items_by_problem[item.problem].append(item)
    grades = {grade.problem: grade for grade in ProblemGrade.objects.filter(submission=submission)
              .select_related("graded_by").prefetch_related("items")}
    requests: dict[str, list[RegradeRequest]] = defaultdict(list)
    for request in RegradeRequest.objects.filter(submission=submission, state=RegradeRequest.State.OPEN):
        requests[request.problem].append(request)
    mine = set(row.problems_for(grader.pk)) if row is not None and grader is not None else set()
    views = []
    for problem in report_problems(assignment=submission.assignment):
        grade = grades.get(problem.name)
        applied = {item.pk for item in grade.items.all()} if grade else set()
        views.append(ProblemView(
            problem=problem, grade=grade, editable=problem.name in held, mine=problem.name in mine,
            lock=None if problem.name in held else others.get(problem.name),
            items=tuple(ItemView(item=item, key=str(index) if index <= 9 else "", applied=item.pk in applied)
                        for index, item in enumerate(items_by_problem[problem.name], start=1)),
            open_requests=tuple(requests[problem.name])))
    return views


# --- One report, as its student sees it --------------------------------------------------------------

@dataclass(frozen=True)
class StudentProblem:
    problem: ManualProblem
    grade: ProblemGrade | None
    items: tuple[RubricItem, ...]
    requests: tuple[RegradeRequest, ...]

    @property
    def has_open_request(self) -> bool:
        return any(request.state == RegradeRequest.State.OPEN for request in self.requests)


@dataclass(frozen=True)
class StudentReport:
    """A report on its student's result page: what the check saw, what happens next, and once the
    grades are released, the points of each problem with the rubric items and comments."""

    hints: ReportHints
    released: bool
    graded: bool  # every problem has a grade
    problems: tuple[StudentProblem, ...] = field(default=())  # empty until the student may see them
    regrades_open: bool = False
    regrades_until: datetime | None = None


def student_report(*, submission: Submission, result: Result | None, show_scores: bool) -> StudentReport:
    """The report as ``submission``'s page shows it (its student, or staff: ``show_scores``)."""
    hints = report_hints(submission=submission)
    released = scores_released(assignment=submission.assignment)
    graded = result is not None and result.is_manually_graded and not result.awaits_manual_grading
    if not (graded and show_scores):
        return StudentReport(hints=hints, released=released, graded=graded)
    grades = {grade.problem: grade for grade in ProblemGrade.objects.filter(submission=submission)
              .prefetch_related("items")}
    requests: dict[str, list[RegradeRequest]] = defaultdict(list)
    for request in RegradeRequest.objects.filter(submission=submission).select_related("answered_by"):
        requests[request.problem].append(request)
    setup = setup_of(assignment=submission.assignment)
    return StudentReport(
        hints=hints, released=released, graded=graded,
        problems=tuple(StudentProblem(problem=problem, grade=grades.get(problem.name),
                                      items=tuple(sorted(grades[problem.name].items.all(), key=_item_order))
                                      if problem.name in grades else (),
                                      requests=tuple(requests[problem.name]))
                       for problem in report_problems(assignment=submission.assignment)),
        regrades_open=released and regrade_requests_open(until=setup.regrade_requests_until),
        regrades_until=setup.regrade_requests_until)


def _item_order(item: RubricItem) -> tuple[int, int]:
    return (item.position, item.pk)


# --- Staff lists -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RequestRow:
    request: RegradeRequest
    number: int
    problem: ManualProblem | None


def open_regrade_requests(*, assignment: Assignment) -> list[RequestRow]:
    """Regrade requests waiting for an answer, oldest first, each with its report's number and problem."""
    numbers = report_numbers(assignment=assignment)
    problems = {problem.name: problem for problem in report_problems(assignment=assignment)}
    return [RequestRow(request=request, number=numbers.get(request.submission.student_id, 0),
                       problem=problems.get(request.problem))
            for request in RegradeRequest.objects.filter(submission__assignment=assignment,
                                                         state=RegradeRequest.State.OPEN)
            .select_related("submission__student").order_by("requested_at", "id")]


def rubric_of(*, assignment: Assignment) -> list[tuple[ManualProblem, list[RubricItem]]]:
    """Each problem with its rubric items, each annotated with how many reports it is applied to."""
    items: dict[str, list[RubricItem]] = defaultdict(list)
    for item in RubricItem.objects.filter(assignment=assignment).annotate(uses=Count("problem_grades")) \
            .order_by("problem", "position", "id"):
        items[item.problem].append(item)
    return [(problem, items[problem.name]) for problem in report_problems(assignment=assignment)]


def latest_similarity_run(*, assignment: Assignment) -> SimilarityRun | None:
    return SimilarityRun.objects.filter(assignment=assignment).first()


def similar_pairs_of(*, run: SimilarityRun, threshold: Decimal) -> list:
    return list(run.pairs.filter(similarity__gte=float(threshold)).select_related("first__student",
                                                                                   "second__student"))


def report_row_of(*, rows: list[ReportRow], submission_id: int) -> ReportRow | None:
    return next((row for row in rows if row.submission.pk == submission_id), None)


def my_remaining(*, rows: list[ReportRow], grader: User) -> int:
    """Problems given to ``grader`` (or anyone's) still ungraded, over all reports."""
    return sum(1 for row in rows for problem in row.problems_for(grader.pk) if problem not in row.grades)
