"""The submission pages: what every member sees (``student``) and what course staff do (``staff``)."""

from courseportal.submissions.views.staff import (
    assignment_reading_checks_view,
    assignment_regrade_view,
    assignment_submission_list,
    regrade_progress_status,
    regrade_progress_view,
    student_history_view,
    submission_override_view,
    submission_reading_check_view,
    submission_regrade_view,
)
from courseportal.submissions.views.student import (
    assignment_detail,
    submission_detail,
    submission_download,
    submission_status,
    submission_upload,
    training_queue_view,
)

__all__ = [
    "assignment_detail",
    "assignment_reading_checks_view",
    "assignment_regrade_view",
    "assignment_submission_list",
    "regrade_progress_status",
    "regrade_progress_view",
    "student_history_view",
    "submission_detail",
    "submission_download",
    "submission_override_view",
    "submission_reading_check_view",
    "submission_regrade_view",
    "submission_status",
    "submission_upload",
    "training_queue_view",
]
