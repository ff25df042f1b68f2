"""Writes for submissions: the only place a submission's status or result changes.

Split by concern; import from here.
"""

from courseportal.submissions.services.manual import GradeRefused, result_grade_manually
from courseportal.submissions.services.notify import result_notify
from courseportal.submissions.services.pipeline import (
    GRADE_TASK,
    RegradeRefused,
    submission_enqueue,
    submission_grade,
    submission_regrade,
    submission_sweep,
)
from courseportal.submissions.services.uploads import (
    UploadRefused,
    expected_filename,
    submission_create,
    upload_refusal_record,
)

__all__ = [
    "GRADE_TASK",
    "GradeRefused",
    "RegradeRefused",
    "UploadRefused",
    "expected_filename",
    "result_grade_manually",
    "result_notify",
    "submission_create",
    "submission_enqueue",
    "submission_grade",
    "submission_regrade",
    "submission_sweep",
    "upload_refusal_record",
]
