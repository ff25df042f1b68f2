from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from courseportal.courses.models import Assignment


class Blob(models.Model):
    """An uploaded file's bytes, stored once under their sha256 and never changed."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.sha256


class Submission(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        GRADED = "graded", _("Graded")
        FAILED = "failed", _("Grader error")

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="submissions")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="submissions")
    filename = models.CharField(max_length=255)
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="submissions")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    # Pipeline bookkeeping: when the task was last handed to the broker (null: not yet, or the
    # broker was down), when a worker claimed it and until when its claim holds.
    attempts = models.PositiveSmallIntegerField(default=0)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    graded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["assignment", "student", "-created_at"], name="submission_history"),
            models.Index(fields=["status", "enqueued_at"], name="submission_sweep"),
        ]
        permissions = [
            ("view_course_submissions", "Can view every submission of courses they teach"),
            ("regrade_submission", "Can regrade submissions of courses they teach"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.filename}"

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class Result(models.Model):
    """The one grading result of a submission; a regrade replaces it in place."""

    class Status(models.TextChoices):
        GRADED = "graded", _("Graded")
        REJECTED = "rejected", _("Rejected")
        ERROR = "error", _("Grader error")

    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, primary_key=True, related_name="result")
    status = models.CharField(max_length=16, choices=Status.choices)
    score = models.DecimalField(max_digits=7, decimal_places=2, default=0)
    max_score = models.DecimalField(max_digits=7, decimal_places=2, default=0)
    message = models.TextField(blank=True)
    checks = models.JSONField(default=list)
    # What the student's code printed, truncated to its tail by the sandbox.
    output = models.TextField(blank=True)
    grading_seconds = models.FloatField(default=0)
    graded_at = models.DateTimeField()
    notified_at = models.DateTimeField(null=True, blank=True)
    # Reports TAs grade by hand: the automatic result only validates the file, so its score is not a
    # grade until a TA enters one (then who and when is kept, and a regrade may not replace it).
    awaits_manual_grading = models.BooleanField(default=False)
    manually_graded_at = models.DateTimeField(null=True, blank=True)
    graded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="manual_grades")

    def __str__(self) -> str:
        return f"result of {self.submission_id}: {self.score}/{self.max_score}"

    @property
    def is_manually_graded(self) -> bool:
        return self.manually_graded_at is not None


class UploadRefusal(models.Model):
    """An upload that was refused, with what the student was told. Nothing of the file is kept.

    Refused attempts count towards the per-student upload limit like stored ones: a refusal can
    cost the web process as much as an accepted upload (reading the whole body, checking the file).
    """

    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="upload_refusals")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="upload_refusals")
    at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["student", "at"], name="upload_refusal_recent")]

    def __str__(self) -> str:
        return f"{self.student_id} refused at {self.at:%Y-%m-%d %H:%M:%S}"
