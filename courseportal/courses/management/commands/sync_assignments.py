"""``manage.py sync_assignments --course <slug> --due <when>``: one assignment per checker.

Registers every discovered checker (``assignments/*/checker.py``) as an assignment of the course,
through ``courseportal.courses.services.assignment_sync``. Idempotent: assignments that exist keep
their dates and titles (staff may have edited them).
"""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from courseportal.courses.models import Assignment, Course
from courseportal.courses.services import assignment_sync
from grader.registry import discover


class Command(BaseCommand):
    help = "Create an assignment in a course for every registered checker that has none yet."

    def add_arguments(self, parser):
        parser.add_argument("--course", required=True, help="the course's slug")
        parser.add_argument("--due", required=True, help="due date of new assignments, e.g. 2025-11-30T23:59")
        parser.add_argument("--opens", help="when new assignments open (default: now)")

    def handle(self, *args, course: str, due: str, opens: str | None, **options):
        try:
            target = Course.objects.get(slug=course)
        except Course.DoesNotExist:
            known = ", ".join(Course.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No course {course!r} (courses: {known}).") from None
        due_at = _moment(due, target, "--due")
        opens_at = _moment(opens, target, "--opens") if opens else None
        if opens_at and opens_at >= due_at:
            raise CommandError("--opens must be before --due.")
        for module, reason in discover().errors.items():
            self.stderr.write(f"Skipped {module}: {reason}")
        existing = set(Assignment.objects.filter(course=target).values_list("slug", flat=True))
        for assignment in assignment_sync(course=target, due_at=due_at, opens_at=opens_at):
            state = "exists, unchanged" if assignment.slug in existing else "created"
            local_due = timezone.localtime(assignment.due_at, target.zone)
            self.stdout.write(f"{assignment.slug}: {state} (due {local_due:%Y-%m-%d %H:%M %Z})")


def _moment(text: str, course: Course, option: str) -> datetime:
    """An ISO date-time; without a UTC offset it is read in the course's time zone."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option} {text!r} is not a date like 2025-11-30T23:59.") from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=course.zone)
    return moment
