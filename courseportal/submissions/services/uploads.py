"""Accepting an upload: stored whole and queued for grading, or refused with a reason.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courseportal.courses.deadlines import upload_window
from courseportal.courses.models import Assignment, Membership
from courseportal.submissions.models import Submission
from courseportal.submissions.selectors import upload_limit
from courseportal.submissions.services.pipeline import submission_enqueue
from courseportal.submissions.services.refusals import Refused
from courseportal.submissions.storage import blob_store
from grader.content import RejectedUpload, file_extension, human_size, read_submission
from grader.registry import get_checker

logger = logging.getLogger(__name__)
Status = Submission.Status


class UploadRefused(Refused):
    """The upload was not stored; ``message`` tells the student why and what to do."""


def expected_filename(*, user: User, assignment: Assignment, extension: str) -> str:
    return f"{user.username}_{assignment.slug}{extension}"


def submission_create(*, student: User, assignment: Assignment, upload: UploadedFile) -> Submission:
    """Store an upload whole and queue it for grading, or raise ``UploadRefused`` storing nothing.

    The file is read, validated and stored before the transaction: on SQLite a transaction holds
    the database's one write lock, and a 20 MB PDF must not make the workers wait for it. Only
    the row is written inside it; a blob left without a row (a crash in between) is harmless,
    being content-addressed and never shown.
    """
    checker = get_checker(assignment.checker_slug)
    filename = os.path.basename((upload.name or "").replace("\\", "/"))
    _refuse_unless_member(student=student, assignment=assignment)
    window = upload_window(assignment=assignment, student=student)
    if not window.may_upload:
        raise UploadRefused(window.refusal)
    _refuse_unless_named(student=student, assignment=assignment, filename=filename,
                         accepted=checker.accepted_extensions)
    _refuse_if_flooding(student=student)
    limit = upload_limit(assignment=assignment, checker=checker, filename=filename)
    if upload.size is not None and upload.size > limit:
        raise UploadRefused(
            _("The file is %(size)s; this assignment accepts at most %(limit)s.")
            % {"size": human_size(upload.size), "limit": human_size(limit)}
        )
    data = _read_at_most(upload, limit)
    try:
        read_submission(filename, data, accepted_extensions=checker.accepted_extensions, max_bytes=limit)
    except RejectedUpload as refusal:
        raise UploadRefused(refusal.message) from None
    blob = blob_store(data)
    with transaction.atomic():
        submission = Submission.objects.create(
            assignment=assignment, student=student, filename=filename, blob=blob, status=Status.QUEUED
        )
        queue = checker.upload_queue
        transaction.on_commit(lambda: submission_enqueue(submission_id=submission.pk, queue=queue))
    return submission


def _refuse_unless_member(*, student: User, assignment: Assignment) -> None:
    if not Membership.objects.filter(user=student, course_id=assignment.course_id).exists():
        raise UploadRefused(_("You are not enrolled in this course."))


def _refuse_unless_named(*, student: User, assignment: Assignment, filename: str, accepted: tuple[str, ...]) -> None:
    extension = file_extension(filename)
    expected = [expected_filename(user=student, assignment=assignment, extension=ext) for ext in accepted]
    if extension in accepted and filename == expected_filename(user=student, assignment=assignment, extension=extension):
        return
    raise UploadRefused(
        _("The file must be named %(expected)s (your account, an underscore, the assignment); you uploaded %(got)s.")
        % {"expected": _(" or ").join(expected), "got": filename or _("a file without a name")}
    )


def _refuse_if_flooding(*, student: User) -> None:
    limit = settings.UPLOADS_PER_MINUTE_PER_STUDENT
    recent = Submission.objects.filter(student=student, created_at__gte=timezone.now() - timedelta(minutes=1))
    if limit and recent.count() >= limit:
        raise UploadRefused(
            _("You uploaded %(count)d files in the last minute. Wait a minute and upload again; your "
              "latest upload is being graded.") % {"count": limit}
        )


def _read_at_most(upload: UploadedFile, limit: int) -> bytes:
    chunks, total = [], 0
    upload.seek(0)
    for chunk in upload.chunks():
        total += len(chunk)
        if total > limit:
            raise UploadRefused(_("The file is larger than %(limit)s.") % {"limit": human_size(limit)})
        chunks.append(chunk)
    return b"".join(chunks)
