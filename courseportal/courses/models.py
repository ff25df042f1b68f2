from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value}) from None


class Course(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    time_zone = models.CharField(
        max_length=64, default=settings.DEFAULT_COURSE_TIME_ZONE, validators=[validate_time_zone]
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="courses")

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Membership(models.Model):
    class Role(models.TextChoices):
        STUDENT = "student", _("Student")
        TA = "ta", _("Teaching assistant")
        INSTRUCTOR = "instructor", _("Instructor")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STUDENT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "user"], name="one_membership_per_course")]

    def __str__(self) -> str:
        return f"{self.user} in {self.course} as {self.role}"

    @property
    def is_staff_role(self) -> bool:
        return self.role in (self.Role.TA, self.Role.INSTRUCTOR)


class Assignment(models.Model):
    """One homework of one course, graded by the checker registered under ``checker_slug``.

    Its time rules (opening, deadline, grace, cutoff, late policy) are read only through
    ``courseportal.courses.deadlines``; which submission counts, through the submissions' selectors;
    whether students may see its scores, through ``scores_visible``.
    """

    class LatePolicy(models.TextChoices):
        NONE = "none", _("No late uploads: refused after the deadline and grace period")
        PER_DAY = "per_day", _("Late uploads lose a share of the maximum per started day")
        PER_HOUR = "per_hour", _("Late uploads lose a share of the maximum per started hour")

    class CountedSubmission(models.TextChoices):
        BEST = "best", _("The best submission")
        LATEST = "latest", _("The latest submission")
        LATEST_ON_TIME = "latest_on_time", _("The latest submission on time (the latest, if none was)")

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="assignments")
    slug = models.SlugField()
    checker_slug = models.CharField(max_length=100)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    opens_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    # Zero or empty means the checker's own default.
    max_upload_bytes = models.PositiveIntegerField(null=True, blank=True)
    weight_percent = models.PositiveSmallIntegerField(default=100, help_text=_("Share of the lecture's homework."))
    is_published = models.BooleanField(default=True)
    # Uploads this many minutes after the deadline still count as on time (slow links, big files).
    grace_minutes = models.PositiveSmallIntegerField(default=5)
    # After the deadline, late uploads (under a late policy) are accepted until this moment; none: no limit.
    cutoff_at = models.DateTimeField(null=True, blank=True)
    late_policy = models.CharField(max_length=16, choices=LatePolicy.choices, default=LatePolicy.NONE)
    # Per started day or hour late, a share of the assignment's maximum score.
    late_penalty_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    counted_submission = models.CharField(max_length=16, choices=CountedSubmission.choices,
                                          default=CountedSubmission.BEST)
    # Held scores are shown to students (and emailed) only once released.
    holds_scores = models.BooleanField(default=False)
    scores_released_at = models.DateTimeField(null=True, blank=True)
    # Follow-through credit: the percent of a question's points an answer earns that is wrong only
    # because it follows correctly from the student's own earlier wrong answer. 0 = strict (only
    # right answers score). Only checkers that judge such answers (lec2_hw1) use it.
    follow_through_credit_percent = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(100)])

    class Meta:
        ordering = ["due_at", "slug"]
        constraints = [models.UniqueConstraint(fields=["course", "slug"], name="unique_assignment_slug_per_course")]

    def __str__(self) -> str:
        return f"{self.course.slug}/{self.slug}"

    def grading_options(self) -> dict[str, float]:
        """What the instructor chose for grading, as ``grader.grade_file(..., options=)`` takes it."""
        return {"follow_through_credit": self.follow_through_credit_percent / 100}


class Extension(models.Model):
    """A later deadline for one student on one assignment, with the reason both they and staff see.

    It moves the student's grace period, late penalties and cutoff along with the deadline
    (``courseportal.courses.deadlines`` applies it).
    """

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="extensions")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="extensions")
    due_at = models.DateTimeField()
    reason = models.TextField()
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["student__username"]
        constraints = [models.UniqueConstraint(fields=["assignment", "student"], name="one_extension_per_student")]

    def __str__(self) -> str:
        return f"extension of {self.assignment} for {self.student}"
