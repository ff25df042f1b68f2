"""Writes for submissions: the only place a submission's status or result changes.

Split by concern; import from here. Every score change goes through ``scores.result_change``,
which records it in the grade history.
"""

from courseportal.submissions.services.notify import assignment_scores_release, release_notify, result_notify
from courseportal.submissions.services.overrides import OverrideRefused, result_override
from courseportal.submissions.services.pipeline import (
    GRADE_TASK,
    submission_enqueue,
    submission_grade,
    submission_sweep,
)
from courseportal.submissions.services.reading_checks import ReadingCheckRefused, result_reading_check
from courseportal.submissions.services.regrades import (
    RegradeRefused,
    assignment_regrade,
    regrade_publish,
    submission_regrade,
)
from courseportal.submissions.services.scores import (
    assignment_lateness_apply,
    result_change,
    result_lateness_apply,
)
from courseportal.submissions.services.uploads import (
    UploadRefused,
    UploadWindowRefused,
    expected_filename,
    submission_create,
    upload_refusal_record,
)

__all__ = [
    "GRADE_TASK",
    "OverrideRefused",
    "ReadingCheckRefused",
    "RegradeRefused",
    "UploadRefused",
    "UploadWindowRefused",
    "assignment_lateness_apply",
    "assignment_regrade",
    "assignment_scores_release",
    "expected_filename",
    "regrade_publish",
    "release_notify",
    "result_change",
    "result_lateness_apply",
    "result_notify",
    "result_override",
    "result_reading_check",
    "submission_create",
    "submission_enqueue",
    "submission_grade",
    "submission_regrade",
    "submission_sweep",
    "upload_refusal_record",
]
