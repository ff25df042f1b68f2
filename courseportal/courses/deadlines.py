"""Time rules: when an assignment takes uploads, from whom, whether an upload is late and what it costs.

The one place that compares an assignment's dates with the clock (the architecture test
``tests/architecture/test_time_rules_have_one_home.py`` enforces it). The upload service asks it
whether to accept a file and why not; the pages ask it what to show (phase, time left, the penalty
an upload now would cost); the grading pipeline and the extension and policy services ask it how late
a stored submission is; the gradebook asks it whose work is missing. Nothing else compares
``due_at``, ``opens_at`` or ``cutoff_at`` with a time.

The rules of one assignment (``Assignment`` fields):

- ``opens_at``: uploads are refused before it (and while the assignment is unpublished);
- ``due_at``: the deadline. An upload received at or before it is on time;
- ``grace_minutes`` (default 5): an upload received up to that long after the deadline still counts
  as on time, absorbing slow links and large files;
- ``late_policy``: ``none`` refuses uploads after the deadline and grace; ``per_day`` / ``per_hour``
  accept them, each started day or hour late costing ``late_penalty_percent`` of the assignment's
  maximum score (a share of the maximum, not of what was earned), up to 100%, and never taking a
  score below zero;
- ``cutoff_at`` (optional): under a late policy, no uploads at all after it.

Lateness is measured from the deadline itself, not from the end of the grace period: the grace only
decides whether an upload is late at all. Days are days of the course's wall clock (the first late
day ends at the deadline's time of day one calendar day later, in the course's zone, whatever a
daylight-saving change does to its length); hours are hours of real time.

A per-student ``Extension`` gives one student a later deadline. It moves that student's grace period,
penalties and cutoff with it: the cutoff moves by as much as the deadline did. If the class deadline
is later moved past an extension, the later of the two applies.

Receipt time is authoritative: an upload is judged by the moment its request reached the server,
before its body was read (``Submission.received_at``, stamped by the upload view), not by when
reading, validating or storing it ended. A 20 MB upload whose request arrives at 23:59:58 is on time
even if its last byte arrives at 00:00:30. (A proxy that buffers whole bodies before passing a request
on delays that moment by the upload's duration; the grace period absorbs it.)

Times are stored in UTC and shown in the course's time zone.
"""

from __future__ import annotations

import math
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from courseportal.courses.models import Assignment, Extension
from courseportal.points import SCORE_QUANTUM

LatePolicy = Assignment.LatePolicy
HUNDRED = Decimal(100)


class _LookUp:
    """The extension is not given: look it up (one query). Pass ``None`` when it is known to have none."""


LOOK_UP = _LookUp()


class Phase(StrEnum):
    """Where an assignment stands for one student's uploads."""

    UPCOMING = "upcoming"  # not published yet, or before it opens
    OPEN = "open"  # before the deadline
    GRACE = "grace"  # after the deadline, within the grace period: still on time
    LATE = "late"  # accepted under the late policy, with a penalty
    CLOSED = "closed"


@dataclass(frozen=True)
class Lateness:
    """How late an upload received at ``received_at`` is for one student, and what it costs."""

    received_at: datetime
    due_at: datetime
    periods: int  # started days or hours after the deadline; 0: on time (or within the grace period)
    per_hour: bool
    penalty_percent: Decimal  # share of the maximum score deducted, 0..100
    percent_per_period: Decimal

    @property
    def is_late(self) -> bool:
        return self.periods > 0

    @property
    def late_text(self) -> str:
        """ "1 day late", "3 hours late"; empty when on time."""
        return late_text(periods=self.periods, per_hour=self.per_hour)

    @property
    def description(self) -> str:
        """ "1 day late, 10%/day": what the result page and the grade history say; empty when on time."""
        return late_description(periods=self.periods, per_hour=self.per_hour,
                                percent_per_period=self.percent_per_period if self.penalty_percent else 0)

    def points_off(self, max_score: Decimal | float) -> Decimal:
        """The most this lateness can cost, in points of ``max_score``."""
        return (Decimal(str(max_score)) * self.penalty_percent / HUNDRED).quantize(SCORE_QUANTUM, ROUND_HALF_UP)


def late_text(*, periods: int, per_hour: bool) -> str:
    """ "1 day late", "3 hours late"; empty for 0 (on time)."""
    if not periods:
        return ""
    if per_hour:
        return ngettext("%(count)d hour late", "%(count)d hours late", periods) % {"count": periods}
    return ngettext("%(count)d day late", "%(count)d days late", periods) % {"count": periods}


def late_description(*, periods: int, per_hour: bool, percent_per_period: Decimal | float) -> str:
    """ "1 day late, 10%/day" (of the maximum score; without a penalty, "1 day late"); empty when on time."""
    if not periods:
        return ""
    if not percent_per_period:
        return late_text(periods=periods, per_hour=per_hour)
    percent = f"{Decimal(str(percent_per_period)).normalize():f}"
    policy = (_("%(percent)s%%/hour") if per_hour else _("%(percent)s%%/day")) % {"percent": percent}
    return _("%(late)s, %(policy)s") % {"late": late_text(periods=periods, per_hour=per_hour), "policy": policy}


def penalized_score(*, score: Decimal, max_score: Decimal, penalty_percent: Decimal) -> Decimal:
    """``score`` less ``penalty_percent`` of ``max_score``, never below zero, at the score fields' precision."""
    if not penalty_percent:
        return score
    penalty = Decimal(str(max_score)) * Decimal(str(penalty_percent)) / HUNDRED
    return max(Decimal(0), Decimal(str(score)) - penalty).quantize(SCORE_QUANTUM, ROUND_HALF_UP)


@dataclass(frozen=True)
class TimeRules:
    """One assignment's time rules for one student (or the class, without an extension)."""

    published: bool
    opens_at: datetime
    due_at: datetime  # the student's deadline: the class's, or their extension's
    class_due_at: datetime
    grace: timedelta
    cutoff_at: datetime | None  # moved by the extension like the deadline
    policy: str
    percent_per_period: Decimal
    zone: zoneinfo.ZoneInfo
    extension: Extension | None

    @property
    def grace_ends_at(self) -> datetime:
        return self.due_at + self.grace

    @property
    def grace_minutes(self) -> int:
        return int(self.grace / timedelta(minutes=1))

    @property
    def per_hour(self) -> bool:
        return self.policy == LatePolicy.PER_HOUR

    @property
    def takes_late_uploads(self) -> bool:
        return self.policy != LatePolicy.NONE

    @property
    def closes_at(self) -> datetime | None:
        """The last moment an upload is accepted; None when late uploads are taken without end."""
        if not self.takes_late_uploads:
            return self.grace_ends_at
        return max(self.cutoff_at, self.grace_ends_at) if self.cutoff_at else None

    def phase(self, at: datetime) -> Phase:
        at = at.astimezone(UTC)
        if not self.published or at < self.opens_at:
            return Phase.UPCOMING
        if at <= self.due_at:
            return Phase.OPEN
        if at <= self.grace_ends_at:
            return Phase.GRACE
        if self.closes_at is None or at <= self.closes_at:
            return Phase.LATE
        return Phase.CLOSED

    def lateness(self, received_at: datetime) -> Lateness:
        """How late an upload received at ``received_at`` is, and the penalty it carries now."""
        received_at = received_at.astimezone(UTC)
        per_hour = self.policy == LatePolicy.PER_HOUR
        periods = 0
        if received_at > self.grace_ends_at:
            periods = self._hours_started(received_at) if per_hour else self._days_started(received_at)
        percent = Decimal(0)
        if self.takes_late_uploads and periods:
            percent = min(HUNDRED, periods * Decimal(self.percent_per_period))
        return Lateness(received_at=received_at, due_at=self.due_at, periods=periods, per_hour=per_hour,
                        penalty_percent=percent, percent_per_period=Decimal(self.percent_per_period))

    def period_ends_at(self, periods: int) -> datetime:
        """When the ``periods``-th late day or hour after the deadline ends."""
        if self.policy == LatePolicy.PER_HOUR:
            return self.due_at + timedelta(hours=periods)
        wall_clock = timezone.make_naive(self.due_at, self.zone) + timedelta(days=periods)
        return wall_clock.replace(tzinfo=self.zone).astimezone(UTC)

    def deadline_passed(self, at: datetime) -> bool:
        """True once an upload at ``at`` would no longer be on time (work not in by then is missing)."""
        return at.astimezone(UTC) > self.grace_ends_at

    def _hours_started(self, received_at: datetime) -> int:
        return max(1, math.ceil((received_at - self.due_at) / timedelta(hours=1)))

    def _days_started(self, received_at: datetime) -> int:
        local_days = (received_at.astimezone(self.zone).date() - self.due_at.astimezone(self.zone).date()).days
        periods = max(1, local_days - 1)
        while received_at > self.period_ends_at(periods):
            periods += 1
        return periods


def extension_of(*, assignment: Assignment, student: User) -> Extension | None:
    return Extension.objects.filter(assignment=assignment, student=student).first()


def time_rules(
    *, assignment: Assignment, student: User | None = None, extension: Extension | None | _LookUp = LOOK_UP
) -> TimeRules:
    """The time rules of ``assignment`` for ``student`` (None: the class as a whole).

    ``extension`` is looked up (one query) unless given; pass it (or None) when asking for many.
    Reads ``assignment.course`` for its time zone: select it with the assignment when asking for many.
    """
    if isinstance(extension, _LookUp):
        extension = extension_of(assignment=assignment, student=student) if student is not None else None
    # In UTC throughout: aware datetimes sharing one zone subtract and compare by wall clock.
    class_due_at = assignment.due_at.astimezone(UTC)
    due_at = class_due_at
    if extension is not None and extension.due_at.astimezone(UTC) > due_at:
        due_at = extension.due_at.astimezone(UTC)
    moved_by = due_at - class_due_at
    return TimeRules(
        published=assignment.is_published, opens_at=assignment.opens_at.astimezone(UTC), due_at=due_at,
        class_due_at=class_due_at, grace=timedelta(minutes=assignment.grace_minutes),
        cutoff_at=assignment.cutoff_at.astimezone(UTC) + moved_by if assignment.cutoff_at else None,
        policy=assignment.late_policy, percent_per_period=Decimal(assignment.late_penalty_percent),
        zone=assignment.course.zone, extension=extension,
    )


def lateness(
    *, assignment: Assignment, student: User, received_at: datetime,
    extension: Extension | None | _LookUp = LOOK_UP,
) -> Lateness:
    """How late ``student``'s upload received at ``received_at`` is under the rules as they stand now.

    An upload on time for the class is on time whatever the student's extension says (an extension
    only moves the deadline later), so its extension is not looked up (``due_at`` is then the class's):
    storing a grading, on time as most are, costs no query for it."""
    if isinstance(extension, _LookUp):
        for_the_class = time_rules(assignment=assignment, extension=None).lateness(received_at)
        if not for_the_class.is_late:
            return for_the_class
    return time_rules(assignment=assignment, student=student, extension=extension).lateness(received_at)


@dataclass(frozen=True)
class UploadWindow:
    """One assignment's time rules as they stand for one student at one moment."""

    rules: TimeRules
    phase: Phase
    at: datetime

    @property
    def published(self) -> bool:
        return self.rules.published

    @property
    def opens_at(self) -> datetime:
        return self.rules.opens_at

    @property
    def due_at(self) -> datetime:
        """The deadline for this student (their extension's, if they have one)."""
        return self.rules.due_at

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return self.rules.zone

    @property
    def extension(self) -> Extension | None:
        return self.rules.extension

    @property
    def may_upload(self) -> bool:
        return self.phase in (Phase.OPEN, Phase.GRACE, Phase.LATE)

    @property
    def is_late(self) -> bool:
        """An upload now would be late (and cost ``lateness_now.penalty_percent``)."""
        return self.phase is Phase.LATE

    @property
    def lateness_now(self) -> Lateness:
        return self.rules.lateness(self.at)

    @property
    def deadline_passed(self) -> bool:
        return self.rules.deadline_passed(self.at)

    @property
    def time_left(self) -> timedelta | None:
        """Until the deadline, while uploads are open; None otherwise."""
        return self.due_at - self.at if self.phase is Phase.OPEN else None

    @property
    def time_left_text(self) -> str:
        """ "2 days, 3 hours", in the active language; empty unless before the deadline."""
        return timeuntil(self.due_at, self.at) if self.phase is Phase.OPEN else ""

    @property
    def opens_in_text(self) -> str:
        """How long until a published assignment opens; empty otherwise."""
        return timeuntil(self.opens_at, self.at) if self.phase is Phase.UPCOMING and self.published else ""

    @property
    def grace_ends_text(self) -> str:
        """When on-time uploads end, while in the grace period; empty otherwise."""
        return self._local(self.rules.grace_ends_at) if self.phase is Phase.GRACE else ""

    @property
    def closes_at(self) -> datetime | None:
        return self.rules.closes_at

    @property
    def refusal(self) -> str:
        """Why an upload now is refused, for the student; empty when it is not."""
        if self.phase is Phase.UPCOMING:
            return _("This assignment opens for uploads at %(when)s.") % {"when": self._local(self.opens_at)}
        if self.phase is Phase.CLOSED:
            if self.rules.takes_late_uploads:
                return _("Late uploads were accepted until %(when)s; uploads are no longer accepted.") % {
                    "when": self._local(self.closes_at)}
            return _("This assignment closed at %(when)s; uploads are no longer accepted.") % {
                "when": self._local(self.due_at)}
        return ""

    def late_notice(self, *, max_score: Decimal | float) -> str:
        """What an upload now costs, said before uploading: empty unless it would be late."""
        if self.phase is not Phase.LATE:
            return ""
        now = self.lateness_now
        notice = _("Uploading now is %(late)s: %(percent)s%% of the maximum (%(points)s of %(max)s points) is "
                   "deducted from its score.") % {
            "late": now.late_text, "percent": f"{now.penalty_percent.normalize():f}",
            "points": f"{now.points_off(max_score).normalize():f}", "max": f"{Decimal(str(max_score)).normalize():f}"}
        worse_at = self.rules.period_ends_at(now.periods)
        if now.penalty_percent < HUNDRED and (self.closes_at is None or worse_at < self.closes_at):
            notice += " " + _("After %(when)s the penalty grows.") % {"when": self._local(worse_at)}
        if self.closes_at is not None:
            notice += " " + _("No uploads are accepted after %(when)s.") % {"when": self._local(self.closes_at)}
        return notice

    def _local(self, moment: datetime) -> str:
        return local_time_text(moment, self.zone)


def local_time_text(moment: datetime, zone: zoneinfo.ZoneInfo) -> str:
    """``moment`` as the course's wall clock, in the active language's date format."""
    return date_format(moment.astimezone(zone), "DATETIME_FORMAT")


def upload_window(
    *, assignment: Assignment, student: User | None = None, at: datetime | None = None,
    extension: Extension | None | _LookUp = LOOK_UP,
) -> UploadWindow:
    """The time rules of ``assignment`` for ``student`` (None: the class as a whole) at ``at`` (now).

    ``extension``: as for ``time_rules``. Reads ``assignment.course`` for its time zone.
    """
    at = at or timezone.now()
    rules = time_rules(assignment=assignment, student=student, extension=extension)
    return UploadWindow(rules=rules, phase=rules.phase(at), at=at)


def schedule_problems(*, opens_at: datetime | None, due_at: datetime | None,
                      cutoff_at: datetime | None) -> dict[str, str]:
    """What is wrong with an assignment's dates, by field name (empty when they make sense)."""
    problems = {}
    if opens_at and due_at and opens_at >= due_at:
        problems["due_at"] = _("The deadline must come after the opening time.")
    if cutoff_at and due_at and cutoff_at <= due_at:
        problems["cutoff_at"] = _("The cutoff must come after the deadline.")
    return problems


def extension_problem(*, assignment: Assignment, due_at: datetime) -> str:
    """Why ``due_at`` cannot be a student's extended deadline; empty when it can."""
    if due_at.astimezone(UTC) <= assignment.due_at.astimezone(UTC):
        return _("An extension must end after the class deadline (%(when)s).") % {
            "when": local_time_text(assignment.due_at, assignment.course.zone)}
    return ""


# --- After release: regrade requests -------------------------------------------------------------

def regrade_requests_open(*, until: datetime | None, at: datetime | None = None) -> bool:
    """May a student ask for a regrade of a released report at ``at`` (now)? Until the moment the
    instructor set (``GradingSetup.regrade_requests_until``) inclusive; never while none is set."""
    return until is not None and (at or timezone.now()) <= until
