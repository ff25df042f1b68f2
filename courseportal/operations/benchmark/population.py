"""The benchmark's generated data: a class that uploads lec2_hw1, and a large class for the gradebook.

Rows are bulk-inserted, not made one by one through the services: 300 students through
``roster_import`` would hash 300 passwords (a third of a second each), and the gradebook's class
is 45,000 submissions. Every student shares one password, hashed once; the rows are the same ones
the services write (a Membership per student, a Result per graded Submission).
"""

from __future__ import annotations

import hashlib
import random
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from courseportal.courses.models import Assignment, Course, Membership
from courseportal.courses.services import course_create, membership_set
from courseportal.submissions.models import Blob, Result, Submission
from courseportal.submissions.services.scores import counted_score

HW1 = "lec2_hw1"
TRAINING = "lec2_hw3"
BATCH = 2000
# What ``--poison`` mixes into the burst: the outside review's poisoned lec2_hw1 upload, a correct
# file with, under one layer's label, 96 KB of "(1) 1x1" lines, on which the answer reader was
# quadratic (16 s of worker CPU; trusted code, so no sandbox limit applied). It poisons only while
# trusted code can be made slow: the grading's time limits are what bound it until then.
POISON_LAYER_LINES = 9_600


def poisoned_file_text(file_text: str) -> str:
    """``file_text`` (a correct lec2_hw1 file) with the review's crafted answers appended."""
    return f"{file_text}\n# conv1:\n" + "# (1) 1x1\n" * POISON_LAYER_LINES


@dataclass(frozen=True)
class UploadingClass:
    course_slug: str
    assignment_slug: str
    password: str
    groups: dict[str, list[str]]  # scenario -> the accounts that upload in it


def uploading_class_create(*, groups: dict[str, int], slug: str = "benchmark") -> UploadingClass:
    """A course with an open lec2_hw1 and lec2_hw3 and, per scenario, that many students (accounts
    ``<scenario>NNNN``)."""
    now = timezone.now()
    course = course_create(slug=slug, title="Benchmark class")
    assignment, _ = (Assignment.objects.create(
        course=course, slug=checker, checker_slug=checker, title=checker, opens_at=now - timedelta(days=1),
        due_at=now + timedelta(days=1),
    ) for checker in (HW1, TRAINING))
    password = secrets.token_urlsafe(12)
    accounts = {scenario: [f"{scenario}{number:04d}" for number in range(count)] for scenario, count in groups.items()}
    _students_create(course=course, accounts=[a for group in accounts.values() for a in group], password=password)
    return UploadingClass(course_slug=course.slug, assignment_slug=assignment.slug, password=password,
                          groups=accounts)


@transaction.atomic
def _students_create(*, course: Course, accounts: list[str], password: str) -> list[User]:
    hashed = make_password(password)
    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=account, password=hashed, email=f"{account}@example.edu") for account in accounts],
        batch_size=BATCH,
    )
    Membership.objects.bulk_create(
        [Membership(course=course, user=user, role=Membership.Role.STUDENT) for user in users], batch_size=BATCH
    )
    return users


@dataclass(frozen=True)
class GradebookClass:
    course: Course
    instructor: User
    students: int
    assignments: int
    submissions: int


@transaction.atomic
def gradebook_class_create(
    *, slug: str, students: int, assignments: int, submissions_per_assignment: int, seed: int = 7
) -> GradebookClass:
    """A course of ``students`` × ``assignments``, each student with that many graded submissions
    per assignment (random scores, one in twenty rejected), and an instructor to view it."""
    randomness = random.Random(seed)
    now = timezone.now()
    course = course_create(slug=slug, title=f"Gradebook class of {students}")
    homework = Assignment.objects.bulk_create([
        Assignment(course=course, slug=f"hw{number:02d}", checker_slug=HW1, title=f"Homework {number}",
                   opens_at=now - timedelta(days=60), due_at=now - timedelta(days=60 - 2 * number),
                   weight_percent=randomness.choice((5, 10, 25)))
        for number in range(1, assignments + 1)
    ])
    people = _students_create(course=course, accounts=[f"{slug}-s{number:04d}" for number in range(students)],
                              password=secrets.token_urlsafe(12))
    blob = _one_blob()
    rows = [
        Submission(assignment=assignment, student=student, filename=f"{student.username}_{assignment.slug}.py",
                   blob=blob, status=Submission.Status.GRADED, attempts=1, graded_at=now)
        for student in people for assignment in homework for _ in range(submissions_per_assignment)
    ]
    created = Submission.objects.bulk_create(rows, batch_size=BATCH)
    Result.objects.bulk_create([
        _graded(submission, status="rejected" if randomness.random() < 0.05 else "graded",
                score=randomness.randint(0, 100) / 4, max_score=25, graded_at=now, notified_at=now)
        for submission in created
    ], batch_size=BATCH)
    instructor = get_user_model().objects.create(username=f"{slug}-instructor")
    membership_set(course=course, user=instructor, role=Membership.Role.INSTRUCTOR)
    return GradebookClass(course=course, instructor=instructor, students=students, assignments=assignments,
                          submissions=len(created))


def _graded(submission: Submission, **fields) -> Result:
    """A result as the pipeline stores one on time: worth its score (``scores.counted_score``)."""
    result = Result(submission=submission, **fields)
    result.counted_score = counted_score(result)
    return result


def _one_blob() -> Blob:
    # The gradebook never opens files: every generated submission points at one (absent) blob.
    content = b"# generated for the gradebook benchmark\n"
    blob, _ = Blob.objects.get_or_create(sha256=hashlib.sha256(content).hexdigest(), defaults={"size": len(content)})
    return blob
