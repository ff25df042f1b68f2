"""Demo data for a development stack: one course, its assignments and a few accounts to sign in with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from courseportal.courses.models import Assignment, Course, Membership
from courseportal.courses.services import assignment_sync, course_create, membership_set

DEMO_COURSE_SLUG = "ai-training"
DEMO_COURSE_TITLE = "AI Training Course Series"
DEMO_TIME_ZONE = "Asia/Taipei"
DEMO_DAYS_UNTIL_DUE = 14


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str  # a Membership.Role, or "admin" for the site administrator
    name: str


# Fixed, published passwords: demo data is for a laptop, and seed_demo refuses to run in production.
DEMO_ACCOUNTS = (
    DemoAccount("310510123", "demo-student-123", Membership.Role.STUDENT, "Wang Xiao-Ming"),
    DemoAccount("310510124", "demo-student-124", Membership.Role.STUDENT, "Lin Mei-Ling"),
    DemoAccount("310510125", "demo-student-125", Membership.Role.STUDENT, "Chen Jia-Hao"),
    DemoAccount("ta_demo", "demo-ta", Membership.Role.TA, "Teaching Assistant"),
    DemoAccount("prof_demo", "demo-instructor", Membership.Role.INSTRUCTOR, "Instructor"),
    DemoAccount("admin", "demo-admin", "admin", "Site administrator"),
)


@dataclass(frozen=True)
class DemoSeed:
    course: Course
    assignments: list[Assignment]
    accounts: tuple[DemoAccount, ...]
    due_at: datetime


def demo_due_at(*, today: date, zone) -> datetime:
    """23:59 in the course's zone, ``DEMO_DAYS_UNTIL_DUE`` days after ``today``."""
    return datetime.combine(today + timedelta(days=DEMO_DAYS_UNTIL_DUE), time(23, 59), tzinfo=zone)


@transaction.atomic
def demo_seed(*, today: date | None = None, reset_dates: bool = False) -> DemoSeed:
    """Create (or bring back to its demo state) the demo course, its assignments and accounts.

    Idempotent: running it again resets the demo passwords and memberships and creates nothing
    twice. Assignments get one for every registered checker (``assignment_sync``); existing ones
    keep their dates, which staff may have edited, unless ``reset_dates``.
    """
    course = Course.objects.filter(slug=DEMO_COURSE_SLUG).first() or course_create(
        slug=DEMO_COURSE_SLUG, title=DEMO_COURSE_TITLE, time_zone=DEMO_TIME_ZONE
    )
    today = today or timezone.now().astimezone(course.zone).date()
    due_at = demo_due_at(today=today, zone=course.zone)
    opens_at = datetime.combine(today, time(0, 0), tzinfo=course.zone)
    assignments = assignment_sync(course=course, due_at=due_at, opens_at=opens_at)
    if reset_dates:
        Assignment.objects.filter(pk__in=[a.pk for a in assignments]).update(due_at=due_at, opens_at=opens_at)
        for assignment in assignments:
            assignment.refresh_from_db()
    for account in DEMO_ACCOUNTS:
        _demo_account_set(course=course, account=account)
    return DemoSeed(course=course, assignments=assignments, accounts=DEMO_ACCOUNTS, due_at=due_at)


def _demo_account_set(*, course: Course, account: DemoAccount) -> User:
    user, _ = get_user_model().objects.get_or_create(username=account.username)
    user.first_name = account.name
    user.email = user.email or f"{account.username}@example.edu"
    user.is_staff = user.is_superuser = account.role == "admin"
    user.set_password(account.password)
    user.save()
    if account.role != "admin":
        membership_set(course=course, user=user, role=account.role)
    return user
