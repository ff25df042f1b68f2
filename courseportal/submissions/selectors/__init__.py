"""Reads of submissions, always scoped to what the viewer may see. Import from here.

- ``access``: who may open which submission; the checker and upload limits of an assignment;
- ``counting``: the release rule (``scores_visible``) and which submission counts (``counted_results``),
  shared by every page, the e-mails and the gradebook;
- ``pages``: what the student's and the staff's pages show, in a constant number of queries.
"""

from courseportal.submissions.selectors.access import (
    STAFF_ROLES,
    assignment_submissions,
    checker_for,
    grading_size_limit,
    largest_upload_bytes,
    result_of,
    submission_for_viewer,
    submission_history,
    submissions_awaiting_grading,
    submissions_awaiting_reading_check,
    submissions_visible_to,
    upload_limit,
)
from courseportal.submissions.selectors.counting import (
    PENDING_LABEL,
    RULE_SHORT_LABELS,
    RULE_SUMMARIES,
    CountedResult,
    counted_result_of,
    counted_results,
    grade_history,
    result_has_score,
    scores_released,
    scores_visible,
)

__all__ = [
    "PENDING_LABEL",
    "RULE_SHORT_LABELS",
    "RULE_SUMMARIES",
    "STAFF_ROLES",
    "CountedResult",
    "assignment_submissions",
    "checker_for",
    "counted_result_of",
    "counted_results",
    "grade_history",
    "grading_size_limit",
    "largest_upload_bytes",
    "result_has_score",
    "result_of",
    "scores_released",
    "scores_visible",
    "submission_for_viewer",
    "submission_history",
    "submissions_awaiting_grading",
    "submissions_awaiting_reading_check",
    "submissions_visible_to",
    "upload_limit",
]
