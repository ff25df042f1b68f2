"""Accepting an upload: stored whole and queued for grading, or refused with a reason.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courseportal.courses.deadlines import upload_window
from courseportal.courses.models import Assignment
from courseportal.courses.selectors import is_member
from courseportal.submissions.models import Submission, UploadRefusal
from courseportal.submissions.selectors import upload_limit
from courseportal.submissions.services.pipeline import submission_enqueue
from courseportal.submissions.services.refusals import Refused
from courseportal.submissions.storable import storable_text
from courseportal.submissions.storage import blob_store
from grader.checker import Checker
from grader.content import RejectedUpload, file_extension, human_size, read_submission
from grader.registry import get_checker

logger = logging.getLogger(__name__)
Status = Submission.Status
MAX_REASON_CHARACTERS = 1000


class UploadRefused(Refused):
    """The upload was not stored; ``message`` tells the student why and what to do."""


class UploadWindowRefused(UploadRefused):
    """Refused by the time rules as they stand on arrival (closed, not open yet, or later than the page
    said): ``message`` says all the page should say about the upload window, late notice included."""


def expected_filename(*, user: User, assignment: Assignment, extension: str) -> str:
    return f"{user.username}_{assignment.slug}{extension}"


def submission_create(
    *, student: User, assignment: Assignment, upload: UploadedFile, received_at: datetime | None = None,
    accepted_penalty_percent: Decimal | None = None,
) -> Submission:
    """Store an upload whole and queue it for grading, or raise ``UploadRefused`` storing nothing.

    ``received_at`` is when the request reached the server, before its body was read (the upload
    view stamps it first thing; now if not given): the deadline judges that moment, so a large file
    whose request arrived in time is on time however long it took to arrive, validate and store.

    ``accepted_penalty_percent``: the late penalty the student was shown before uploading (the
    form carries it). A late upload that would cost more than that (the page was loaded before the
    deadline, or before the penalty grew) is refused with the penalty as it stands, so nobody loses
    points they were not told about; None skips the check (services and tests).

    A refusal is recorded (``UploadRefusal``, the reason only) and counts towards the student's
    uploads per minute like a stored upload, so refused files cannot make the web process read
    and check them over and over; refusals for not being enrolled or for that very limit are not.

    The file is read, validated and stored before the transaction: on SQLite a transaction holds
    the database's one write lock, and a 20 MB PDF must not make the workers wait for it. Only
    the row is written inside it; a blob left without a row (a crash in between) is harmless,
    being content-addressed and never shown.
    """
    checker = get_checker(assignment.checker_slug)
    received_at = received_at or timezone.now()
    _refuse_unless_member(student=student, assignment=assignment)
    _refuse_if_flooding(student=student)
    try:
        data, filename = _accepted_file(student=student, assignment=assignment, checker=checker, upload=upload,
                                        received_at=received_at, accepted_penalty_percent=accepted_penalty_percent)
    except UploadRefused as refusal:
        upload_refusal_record(student=student, assignment=assignment, reason=refusal.message)
        raise
    blob = blob_store(data)
    with transaction.atomic():
        submission = Submission.objects.create(
            assignment=assignment, student=student, filename=filename, blob=blob, status=Status.QUEUED,
            received_at=received_at,
        )
        transaction.on_commit(lambda: submission_enqueue(submission_id=submission.pk, checker=checker))
    return submission


def upload_refusal_record(*, student: User, assignment: Assignment, reason: str) -> UploadRefusal:
    """Record that an upload by ``student`` was refused for ``reason`` (what they were told, which
    may quote their file's name)."""
    return UploadRefusal.objects.create(student=student, assignment=assignment,
                                        reason=storable_text(reason, limit=MAX_REASON_CHARACTERS))


def _accepted_file(
    *, student: User, assignment: Assignment, checker: Checker, upload: UploadedFile, received_at: datetime,
    accepted_penalty_percent: Decimal | None,
) -> tuple[bytes, str]:
    """The upload's bytes and file name, once every rule accepts them; raises ``UploadRefused``."""
    filename = os.path.basename((upload.name or "").replace("\\", "/"))
    window = upload_window(assignment=assignment, student=student, at=received_at)
    if not window.may_upload:
        raise UploadWindowRefused(window.refusal)
    if accepted_penalty_percent is not None and window.lateness_now.penalty_percent > accepted_penalty_percent:
        raise UploadWindowRefused(
            _("The late penalty changed while this page was open. %(notice)s Upload again to accept this penalty.")
            % {"notice": window.late_notice(max_score=checker.points)})
    _refuse_unless_named(student=student, assignment=assignment, filename=filename,
                         accepted=checker.accepted_extensions)
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
    return data, filename


def _refuse_unless_member(*, student: User, assignment: Assignment) -> None:
    if not is_member(user=student, course_id=assignment.course_id):
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
    if not limit:
        return
    since = timezone.now() - timedelta(minutes=1)
    attempts = (Submission.objects.filter(student=student, created_at__gte=since).count()
                + UploadRefusal.objects.filter(student=student, at__gte=since).count())
    if attempts >= limit:
        raise UploadRefused(
            _("You tried to upload %(count)d times in the last minute, counting uploads that were refused. "
              "Wait a minute, then upload again.") % {"count": limit}
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
