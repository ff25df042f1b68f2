"""Posting results back to students by email.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from courseportal.submissions.models import Result, Submission

logger = logging.getLogger(__name__)
Status = Submission.Status


def result_notify(*, submission_id: int) -> bool:
    """Email the student their result once; returns whether this call sent it."""
    claimed = Result.objects.filter(submission_id=submission_id, notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
    if claimed != 1:
        return False
    result = Result.objects.select_related("submission__student", "submission__assignment").get(pk=submission_id)
    submission = result.submission
    if not submission.student.email:
        return False
    url = settings.SITE_URL.rstrip("/") + reverse("submissions:detail", args=[submission.pk])
    score = f"{float(result.score):g}/{float(result.max_score):g}"
    if result.awaits_manual_grading:
        score = _("received, awaiting TA grading")
    subject = f"[{submission.assignment.title}] {score}"
    body = f"{submission.filename}: {result.get_status_display()} {score}\n\n"
    body += (result.message + "\n\n" if result.message else "")
    if result.is_manually_graded:
        body += "".join(f"{check['name']}: {check['points']:g}/{check['max_points']:g}"
                        + (f"\n  {check['feedback']}" if check["feedback"] else "") + "\n"
                        for check in result.checks) + "\n"
    body += url + "\n"
    try:
        send_mail(subject, body, None, [submission.student.email])
    except OSError as error:
        logger.warning("result email for submission %s not sent: %s", submission_id, error)
        Result.objects.filter(pk=submission_id).update(notified_at=None)
        return False
    return True
