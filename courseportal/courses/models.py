from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
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
    """One homework of one course, graded by the checker registered under ``checker_slug``."""

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

    class Meta:
        ordering = ["due_at", "slug"]
        constraints = [models.UniqueConstraint(fields=["course", "slug"], name="unique_assignment_slug_per_course")]

    def __str__(self) -> str:
        return f"{self.course.slug}/{self.slug}"
