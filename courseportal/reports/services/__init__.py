"""Writes for report grading: the only place a rubric, a problem grade, a share, a lock, a regrade
request or a similarity run changes. Split by concern; import from here. Scores go to the report's
``Result`` only through ``courseportal.submissions.services.result_change`` (in ``grades.py``)."""

from courseportal.reports.services.grades import (
    GradeRefused,
    ProblemInput,
    problem_points,
    report_grade_save,
    report_result_store,
)
from courseportal.reports.services.regrade_requests import (
    RequestRefused,
    regrade_request_answer,
    regrade_request_file,
    report_grades_submit,
)
from courseportal.reports.services.rubric import (
    RubricRefused,
    grading_setup_ensure,
    rubric_item_create,
    rubric_item_delete,
    rubric_item_update,
)
from courseportal.reports.services.similarity_runs import (
    RunRefused,
    similarity_run_execute,
    similarity_run_start,
)
from courseportal.reports.services.work import (
    LOCK_DURATION,
    Claim,
    SetupRefused,
    grading_setup_update,
    grading_split,
    report_claim,
    report_locks_release,
    report_locks_renew,
)

__all__ = [
    "LOCK_DURATION",
    "Claim",
    "GradeRefused",
    "ProblemInput",
    "RequestRefused",
    "RubricRefused",
    "RunRefused",
    "SetupRefused",
    "grading_setup_ensure",
    "grading_setup_update",
    "grading_split",
    "problem_points",
    "regrade_request_answer",
    "regrade_request_file",
    "report_claim",
    "report_grade_save",
    "report_grades_submit",
    "report_locks_release",
    "report_locks_renew",
    "report_result_store",
    "rubric_item_create",
    "rubric_item_delete",
    "rubric_item_update",
    "similarity_run_execute",
    "similarity_run_start",
]
