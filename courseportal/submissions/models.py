from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courseportal.courses.models import Assignment
from courseportal.points import SCORE_DECIMAL_PLACES, SCORE_MAX_DIGITS


def score_field(**options) -> models.DecimalField:
    """A column holding a score or points, at the portal's one precision (``courseportal.points``)."""
    return models.DecimalField(max_digits=SCORE_MAX_DIGITS, decimal_places=SCORE_DECIMAL_PLACES, **options)


class Blob(models.Model):
    """An uploaded file's bytes, stored once under their sha256 and never changed."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.sha256


class DocumentReading(models.Model):
    """What was read of one stored PDF (``grader.documents.read_pdf``, in the sandbox within its bounds):
    page count, the text of its first pages, why it could not be read. Read once per stored file,
    when its upload is checked (or, for a file stored before, once by the first task that needs it),
    and never again: page hints and the similarity check read the text from here.
    """

    blob = models.OneToOneField(Blob, on_delete=models.CASCADE, primary_key=True, related_name="reading")
    pages = models.PositiveIntegerField(null=True, blank=True)
    texts = models.JSONField(default=list, blank=True)
    encrypted = models.BooleanField(default=False)
    cut_short = models.BooleanField(default=False)
    # grader.documents.PROBLEMS: "damaged", "password", "over_limits"; empty when it was read.
    problem = models.CharField(max_length=20, blank=True)
    read_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"reading of {self.blob_id}"

    @property
    def has_text_layer(self) -> bool:
        return any(text.strip() for text in self.texts)

    def text(self) -> str:
        """The text of the pages read, one space between pages."""
        return " ".join(self.texts)


class Submission(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        # Training homework: passed its pre-check; waits for, or trains on, a GPU (its TrainingJob).
        TRAINING = "training", _("Training")
        GRADED = "graded", _("Graded")
        FAILED = "failed", _("Grader error")
        # Training homework: a newer upload of the same student took its place before it reached a GPU.
        REPLACED = "replaced", _("Replaced")

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="submissions")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="submissions")
    filename = models.CharField(max_length=255)
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="submissions")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # When the upload request reached the server, before its body was read: what the deadline is
    # judged by (``courseportal.courses.deadlines``), so a large file started in time is on time.
    received_at = models.DateTimeField(default=timezone.now)
    # The staff regrade that queued this submission again, if any: who asked (for the grade
    # history) and whether it waits behind fresh uploads (a whole-assignment regrade does).
    regrade = models.ForeignKey("Regrade", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="submissions")

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
        return self.status in (self.Status.QUEUED, self.Status.RUNNING, self.Status.TRAINING)


class Result(models.Model):
    """The one grading result of a submission; a regrade replaces it in place."""

    class Status(models.TextChoices):
        GRADED = "graded", _("Graded")
        REJECTED = "rejected", _("Rejected")
        ERROR = "error", _("Grader error")

    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, primary_key=True, related_name="result")
    status = models.CharField(max_length=16, choices=Status.choices)
    score = score_field(default=0)
    max_score = score_field(default=0)
    message = models.TextField(blank=True)
    # ``message`` as the engine's message id and values (grader.messages), rendered in each reader's
    # language; null for results stored before it existed and for messages the portal wrote itself.
    message_i18n = models.JSONField(null=True, blank=True)
    checks = models.JSONField(default=list)
    # What the student's code printed, truncated to its tail by the sandbox.
    output = models.TextField(blank=True)
    # For course staff only: what the grading noticed about the run (it tampered with the sandbox).
    staff_notes = models.JSONField(default=list, blank=True)
    grading_seconds = models.FloatField(default=0)
    graded_at = models.DateTimeField()
    notified_at = models.DateTimeField(null=True, blank=True)
    # Reports TAs grade by hand: the automatic result only validates the file, so its score is not a
    # grade until a TA enters one (then who and when is kept, and a regrade may not replace it).
    awaits_manual_grading = models.BooleanField(default=False)
    manually_graded_at = models.DateTimeField(null=True, blank=True)
    graded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="manual_grades")
    # The grader could not read some answers with confidence (checks marked ``uncertain``, each with
    # its ``readings``): the submission is on the TA's "check how it was read" list until a TA
    # confirms or corrects the reading (``services.reading_checks``); then who and when is kept.
    awaits_reading_check = models.BooleanField(default=False)
    reading_checked_at = models.DateTimeField(null=True, blank=True)
    reading_checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                           blank=True, related_name="+")
    # A TA's or instructor's score that counts instead of ``score`` and any late penalty; a regrade
    # changes ``score`` underneath it but never the override.
    override_score = score_field(null=True, blank=True)
    # Late by this many started days or hours (0: on time), and the share of the maximum it costs.
    late_periods = models.PositiveIntegerField(default=0)
    late_penalty_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    # What this submission is worth in the gradebook: the override, else ``score`` less the late
    # penalty (never below zero); None while it is worth nothing yet (a grader error, a report
    # awaiting its TA). Written only by ``services.scores.result_change``, with the history.
    counted_score = score_field(null=True, blank=True)

    class Meta:
        # The sweep's e-mails still owed (``notify.result_emails_sweep``, every few seconds): a few rows
        # among a term's results, found without reading the others.
        indexes = [models.Index(fields=["graded_at"], name="result_email_owed", condition=Q(notified_at__isnull=True))]

    def __str__(self) -> str:
        return f"result of {self.submission_id}: {self.score}/{self.max_score}"

    @property
    def is_manually_graded(self) -> bool:
        return self.manually_graded_at is not None

    @property
    def is_overridden(self) -> bool:
        return self.override_score is not None

    @property
    def is_late(self) -> bool:
        return self.late_periods > 0

    @property
    def uncertain_checks(self) -> list[dict]:
        """The stored checks a TA must confirm or correct (``grader.results.CheckOutcome.uncertain``)."""
        return [check for check in self.checks if isinstance(check, dict) and check.get("uncertain")]


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


class GradeChange(models.Model):
    """One change of a submission's score: who, when, old → new, why. Never edited or deleted.

    Written only by ``courseportal.submissions.services.scores.result_change``, the one way a score
    changes. Scores are what the submission counts for (``Result.counted_score``); ``details`` keeps
    what explains the change (the score before the late penalty, the penalty, the regrade).
    """

    class Reason(models.TextChoices):
        """Why a score changed. To add one, add a member here: the column holds the value and has no
        database-level choices, so a new reason needs no migration."""

        AUTOGRADER = "autograder", _("Graded automatically")
        REGRADE = "regrade", _("Regraded (after a checker change)")
        HAND_GRADE = "hand_grade", _("Graded by a TA")
        OVERRIDE = "override", _("Score overridden by staff")
        OVERRIDE_REMOVED = "override_removed", _("Override removed by staff")
        LATE_PENALTY = "late_penalty", _("Late penalty")
        EXTENSION = "extension", _("Extension")
        READING_CHECK = "reading_check", _("Reading checked by a TA")
        RUBRIC_CHANGE = "rubric_change", _("Rubric item changed")
        REGRADE_REQUEST = "regrade_request", _("Regrade request answered")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="grade_changes")
    changed_at = models.DateTimeField(default=timezone.now)
    # None: the system itself (the autograder, or a rule applied on its own).
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    reason = models.CharField(max_length=40)
    old_score = score_field(null=True, blank=True)
    new_score = score_field(null=True, blank=True)
    max_score = score_field(default=0)
    note = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [models.Index(fields=["submission", "changed_at"], name="grade_change_history")]

    def __str__(self) -> str:
        return f"{self.reason} of submission {self.submission_id}: {self.old_score} -> {self.new_score}"

    @property
    def reason_label(self) -> str:
        try:
            return str(self.Reason(self.reason).label)
        except ValueError:  # a reason from a newer version, or one since removed
            return self.reason


class Regrade(models.Model):
    """Staff asked for submissions to be graded again: one submission, or a whole assignment.

    A whole-assignment regrade (after a checker fix) runs in the background, behind fresh uploads;
    its items say how far it has got and whose score changed by how much.
    """

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="regrades")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    whole_assignment = models.BooleanField(default=False)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"regrade {self.pk} of {self.assignment}"


class RegradeItem(models.Model):
    """One submission of a regrade: its score before, and after once graded again."""

    class Outcome(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        GRADED = "graded", _("Graded again")
        OVERRIDE_KEPT = "override_kept", _("Graded again; the staff override still counts")
        HAND_GRADE_KEPT = "hand_grade_kept", _("Graded by a TA: left as graded")
        ERROR = "error", _("Grader error")

    regrade = models.ForeignKey(Regrade, on_delete=models.CASCADE, related_name="items")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="regrade_items")
    old_score = score_field(null=True, blank=True)
    new_score = score_field(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.QUEUED)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["regrade", "submission"], name="one_item_per_submission")]

    def __str__(self) -> str:
        return f"submission {self.submission_id} in regrade {self.regrade_id}: {self.old_score} -> {self.new_score}"

    @property
    def change(self) -> float | None:
        if self.old_score is None or self.new_score is None:
            return None
        return float(self.new_score - self.old_score)


class TrainingJob(models.Model):
    """A training submission's turn on a GPU: from passing its pre-check until its result is stored.

    The GPU line is kept here, not in the broker: the dispatcher (``services/training_queue.py``)
    sends a job to the ``gpu`` queue only when a GPU slot is free, in round-robin order over
    students, so the order can be fair and every waiting student can be told their place.
    """

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting for a GPU")
        DISPATCHED = "dispatched", _("Starting on a GPU")
        RUNNING = "running", _("Training on a GPU")
        FINISHED = "finished", _("Finished")
        REPLACED = "replaced", _("Replaced by a newer upload")

    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="training_job")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_jobs")
    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="training_jobs")
    state = models.CharField(max_length=16, choices=State.choices, default=State.WAITING, db_index=True)
    # The place in line: when the student began waiting (a replacing upload keeps its predecessor's).
    waiting_since = models.DateTimeField()
    dispatched_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Which worker process and device ran it, for staff ("gpu@host-1 · cuda (GPU 0)").
    worker = models.CharField(max_length=200, blank=True)
    replaced_by = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    precheck_feedback = models.TextField(blank=True)
    # The same as a message id and values (``grader.messages``), shown in the reader's language.
    precheck_feedback_i18n = models.JSONField(null=True, blank=True)
    # The live curve (``grader.results.TrainingPoint`` dicts): student-reported, display only.
    progress = models.JSONField(default=list, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True)
    # Once finished: ``grader.results.TrainingSummary.to_dict()`` (accuracy, confusion matrix, curve).
    summary = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["waiting_since", "id"]
        indexes = [models.Index(fields=["state", "waiting_since"], name="training_line")]
        constraints = [
            models.UniqueConstraint(fields=["student", "assignment"], condition=models.Q(state__in=["waiting", "dispatched"]),
                                    name="one_waiting_training_job_per_student_and_assignment"),
            models.UniqueConstraint(fields=["student"], condition=models.Q(state__in=["dispatched", "running"]),
                                    name="one_gpu_run_per_student"),
        ]

    def __str__(self) -> str:
        return f"training of {self.submission_id} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in (self.State.WAITING, self.State.DISPATCHED, self.State.RUNNING)
