"""The time rules at their edges: the last second before a deadline and the first after it, grace,
cutoff, penalties per started day (on the course's wall clock, across daylight-saving changes) and
hour, extensions. Pure arithmetic on unsaved objects: no database, no clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from courseportal.courses.deadlines import (
    Phase,
    extension_problem,
    penalized_score,
    time_rules,
    upload_window,
)
from courseportal.courses.models import Assignment, Course, Extension

TAIPEI, BERLIN = ZoneInfo("Asia/Taipei"), ZoneInfo("Europe/Berlin")
PER_DAY, PER_HOUR, NONE = Assignment.LatePolicy.PER_DAY, Assignment.LatePolicy.PER_HOUR, Assignment.LatePolicy.NONE


def assignment(due: datetime, *, zone: ZoneInfo = TAIPEI, grace: int = 5, policy: str = NONE, percent: str = "10",
               cutoff: datetime | None = None) -> Assignment:
    course = Course(slug="c", title="C", time_zone=zone.key)
    return Assignment(course=course, slug="hw", checker_slug="x", title="HW", opens_at=due - timedelta(days=14),
                      due_at=due, grace_minutes=grace, late_policy=policy, late_penalty_percent=Decimal(percent),
                      cutoff_at=cutoff)


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)


def real_time_between(start: datetime, end: datetime) -> timedelta:
    # Aware datetimes of one zone subtract by wall clock; in UTC they subtract in real time.
    return end.astimezone(UTC) - start.astimezone(UTC)


def phase(homework: Assignment, moment: datetime, extension: Extension | None = None) -> Phase:
    return upload_window(assignment=homework, at=moment, extension=extension).phase


def late(homework: Assignment, received: datetime, extension: Extension | None = None):
    return time_rules(assignment=homework, extension=extension).lateness(received)


DEADLINE = at(TAIPEI, 2025, 4, 1, 23, 59, 59)


def test_the_last_second_of_the_day_in_taipei_is_on_time_and_midnight_is_the_grace_period():
    homework = assignment(DEADLINE, policy=PER_DAY)
    assert phase(homework, at(TAIPEI, 2025, 4, 1, 23, 59, 59)) is Phase.OPEN
    assert not late(homework, at(TAIPEI, 2025, 4, 1, 23, 59, 59)).is_late
    assert phase(homework, at(TAIPEI, 2025, 4, 2, 0, 0, 0)) is Phase.GRACE
    assert not late(homework, at(TAIPEI, 2025, 4, 2, 0, 0, 0)).is_late


def test_without_grace_midnight_in_taipei_is_one_day_late_or_refused():
    penalised = assignment(DEADLINE, grace=0, policy=PER_DAY)
    midnight = at(TAIPEI, 2025, 4, 2, 0, 0, 0)
    assert phase(penalised, midnight) is Phase.LATE
    one_day = late(penalised, midnight)
    assert (one_day.periods, one_day.penalty_percent) == (1, Decimal(10))
    assert one_day.description == "1 day late, 10%/day"
    refusing = assignment(DEADLINE, grace=0, policy=NONE)
    window = upload_window(assignment=refusing, at=midnight)
    assert window.phase is Phase.CLOSED and not window.may_upload
    assert "uploads are no longer accepted" in window.refusal


def test_a_deadline_at_midnight_takes_the_last_second_before_it():
    homework = assignment(at(TAIPEI, 2025, 4, 2, 0, 0, 0), grace=0)
    assert phase(homework, at(TAIPEI, 2025, 4, 1, 23, 59, 59)) is Phase.OPEN
    assert phase(homework, at(TAIPEI, 2025, 4, 2, 0, 0, 0)) is Phase.OPEN
    assert phase(homework, at(TAIPEI, 2025, 4, 2, 0, 0, 1)) is Phase.CLOSED


def test_grace_ends_on_its_last_second_and_lateness_then_counts_from_the_deadline():
    homework = assignment(DEADLINE, grace=5, policy=PER_HOUR, percent="5")
    grace_end = DEADLINE + timedelta(minutes=5)
    assert phase(homework, grace_end) is Phase.GRACE and not late(homework, grace_end).is_late
    assert phase(homework, grace_end + timedelta(seconds=1)) is Phase.LATE
    assert late(homework, grace_end + timedelta(seconds=1)).periods == 1
    # Counted from the deadline, not from the end of the grace period: 60 min 1 s is the second hour.
    assert late(homework, DEADLINE + timedelta(minutes=60)).periods == 1
    assert late(homework, DEADLINE + timedelta(minutes=60, seconds=1)).periods == 2
    assert late(homework, DEADLINE + timedelta(minutes=60, seconds=1)).penalty_percent == Decimal(10)


def test_penalty_per_started_day_and_never_above_everything():
    homework = assignment(DEADLINE, grace=0, policy=PER_DAY, percent="30")
    assert late(homework, DEADLINE + timedelta(seconds=1)).periods == 1
    assert late(homework, DEADLINE + timedelta(days=1)).periods == 1
    assert late(homework, DEADLINE + timedelta(days=1, seconds=1)).periods == 2
    assert late(homework, DEADLINE + timedelta(days=3, seconds=1)).penalty_percent == Decimal(100)
    assert late(homework, DEADLINE + timedelta(days=9)).penalty_percent == Decimal(100)


def test_a_penalised_score_is_a_share_of_the_maximum_and_never_below_zero():
    assert penalized_score(score=Decimal(25), max_score=Decimal(25), penalty_percent=Decimal(10)) == Decimal("22.50")
    assert penalized_score(score=Decimal(5), max_score=Decimal(25), penalty_percent=Decimal(30)) == Decimal(0)
    assert penalized_score(score=Decimal("7.25"), max_score=Decimal(10), penalty_percent=Decimal(0)) == Decimal("7.25")


def test_the_cutoff_accepts_its_last_second_and_refuses_the_next():
    cutoff = DEADLINE + timedelta(days=2)
    homework = assignment(DEADLINE, policy=PER_DAY, cutoff=cutoff)
    assert phase(homework, cutoff) is Phase.LATE
    window = upload_window(assignment=homework, at=cutoff + timedelta(seconds=1))
    assert window.phase is Phase.CLOSED
    assert "Late uploads were accepted until" in window.refusal


def test_a_late_policy_without_a_cutoff_takes_uploads_without_end():
    homework = assignment(DEADLINE, policy=PER_DAY)
    assert phase(homework, DEADLINE + timedelta(days=60)) is Phase.LATE


def test_days_late_follow_berlins_wall_clock_across_the_spring_change():
    # Saturday 23:59 CET; the night that follows is an hour short (02:00 CET -> 03:00 CEST).
    deadline = at(BERLIN, 2025, 3, 29, 23, 59, 0)
    homework = assignment(deadline, zone=BERLIN, grace=0, policy=PER_DAY)
    sunday_before_the_deadline_time = at(BERLIN, 2025, 3, 30, 23, 58, 59)  # only 22 h 59 min 59 s later
    assert late(homework, sunday_before_the_deadline_time).periods == 1
    sunday_after_it = at(BERLIN, 2025, 3, 30, 23, 59, 30)  # 23 h later in real time, yet the second day
    assert real_time_between(deadline, sunday_after_it) < timedelta(days=1)
    assert late(homework, sunday_after_it).periods == 2


def test_days_late_follow_berlins_wall_clock_across_the_autumn_change():
    # Saturday 23:59 CEST; the night that follows is an hour long (03:00 CEST -> 02:00 CET).
    deadline = at(BERLIN, 2025, 10, 25, 23, 59, 0)
    homework = assignment(deadline, zone=BERLIN, grace=0, policy=PER_DAY)
    more_than_a_day = at(BERLIN, 2025, 10, 26, 23, 58, 0)  # 24 h 59 min later in real time
    assert real_time_between(deadline, more_than_a_day) > timedelta(days=1)
    assert late(homework, more_than_a_day).periods == 1
    assert late(homework, at(BERLIN, 2025, 10, 26, 23, 59, 1)).periods == 2


def test_hours_late_are_real_hours_across_a_change():
    deadline = at(BERLIN, 2025, 3, 30, 1, 30, 0)  # 01:30 CET; an hour later the clocks jump to 03:00
    homework = assignment(deadline, zone=BERLIN, grace=0, policy=PER_HOUR)
    assert late(homework, at(BERLIN, 2025, 3, 30, 3, 29, 0)).periods == 1  # 59 minutes of real time
    assert late(homework, at(BERLIN, 2025, 3, 30, 3, 31, 0)).periods == 2


def test_an_extension_moves_the_students_deadline_grace_penalties_and_cutoff():
    cutoff = DEADLINE + timedelta(days=2)
    homework = assignment(DEADLINE, policy=PER_DAY, cutoff=cutoff)
    extension = Extension(assignment=homework, due_at=DEADLINE + timedelta(days=1), reason="hospital")
    two_hours_after_the_class_deadline = DEADLINE + timedelta(hours=2)
    assert phase(homework, two_hours_after_the_class_deadline) is Phase.LATE
    assert phase(homework, two_hours_after_the_class_deadline, extension) is Phase.OPEN
    in_their_grace = extension.due_at + timedelta(minutes=4)
    assert phase(homework, in_their_grace, extension) is Phase.GRACE
    assert late(homework, in_their_grace, extension).periods == 0
    assert late(homework, extension.due_at + timedelta(hours=1), extension).periods == 1
    assert phase(homework, cutoff + timedelta(hours=1), extension) is Phase.LATE  # their cutoff moved a day too
    assert phase(homework, cutoff + timedelta(days=1, seconds=1), extension) is Phase.CLOSED


def test_an_extension_before_the_class_deadline_is_refused_and_never_shortens_it():
    homework = assignment(DEADLINE)
    earlier = DEADLINE - timedelta(hours=1)
    assert "must end after the class deadline" in extension_problem(assignment=homework, due_at=earlier)
    assert extension_problem(assignment=homework, due_at=DEADLINE + timedelta(seconds=1)) == ""
    # Had the class deadline since moved past an extension, the later of the two applies.
    stale = Extension(assignment=homework, due_at=earlier, reason="old")
    assert time_rules(assignment=homework, extension=stale).due_at == DEADLINE


def test_before_opening_and_unpublished_are_upcoming():
    homework = assignment(DEADLINE)
    assert phase(homework, homework.opens_at - timedelta(seconds=1)) is Phase.UPCOMING
    homework.is_published = False
    assert phase(homework, DEADLINE - timedelta(days=1)) is Phase.UPCOMING


def test_the_notice_before_a_late_upload_says_what_it_costs_and_when_it_grows():
    homework = assignment(DEADLINE, policy=PER_DAY, cutoff=DEADLINE + timedelta(days=3))
    window = upload_window(assignment=homework, at=DEADLINE + timedelta(hours=1))
    notice = window.late_notice(max_score=25)
    assert "1 day late" in notice and "10% of the maximum (2.5 of 25 points)" in notice
    assert "the penalty grows" in notice and "No uploads are accepted after" in notice
    assert upload_window(assignment=homework, at=DEADLINE - timedelta(hours=1)).late_notice(max_score=25) == ""


@pytest.mark.parametrize("policy", [PER_DAY, PER_HOUR])
def test_a_late_upload_without_a_penalty_is_still_marked_late(policy):
    homework = assignment(DEADLINE, grace=0, policy=policy, percent="0")
    lateness = late(homework, DEADLINE + timedelta(minutes=1))
    assert lateness.is_late and lateness.penalty_percent == 0 and lateness.description in ("1 day late", "1 hour late")
