"""A run that tampers with the sandbox is reported to course staff with its result: the engine puts
the sandbox's report on the result (``staff_notes``), never on what the student is told."""

from __future__ import annotations

from assignments.lec2_hw1.checker import NetHWSizesChecker
from grader import grade_file
from grader.sandbox.types import SandboxOutcome
from tests.sandbox.conftest import needs_bwrap_as_root
from tests.sandbox.hostile import HOSTILE_DIR, lec2_hw1_submission


class ReportingSandbox:
    """Unit test: every run comes back full marks for its structure, with one tampering report."""

    def __init__(self, modules: list[dict]) -> None:
        self.modules = modules

    def run(self, request, **options) -> SandboxOutcome:
        return SandboxOutcome(data={"built": True, "error": None, "load_error": None, "modules": self.modules},
                              sandbox_tampering=("changed the zygote's RLIMIT_NOFILE from (1024, 1024) to (64, 64)",),
                              run_id="uid61000-run7")


def structure(checker: NetHWSizesChecker) -> list[dict]:
    return [{"name": module.name, "type": module.type_name,
             "parameters": [[name, list(sizes)] for name, sizes in module.parameters]}
            for module in checker.reference().structure]


def test_what_the_sandbox_reports_about_a_run_goes_to_staff_notes_and_not_to_the_feedback(references_cached_once):
    checker = NetHWSizesChecker()
    text = lec2_hw1_submission(HOSTILE_DIR / "tamper_with_zygote.py")
    result = grade_file(checker, filename="a_lec2_hw1.py", data=text, sandbox=ReportingSandbox(structure(checker)))
    assert result.staff_notes == (
        "Run uid61000-run7 of the student's code changed the zygote's RLIMIT_NOFILE from (1024, 1024) to (64, 64); "
        "the sandbox was cleaned or replaced before the next run.",)
    assert "RLIMIT" not in result.message and all("RLIMIT" not in check.feedback for check in result.checks)
    assert result.to_dict()["staff_notes"] == list(result.staff_notes)


@needs_bwrap_as_root
def test_a_real_run_that_lowers_its_zygotes_limits_leaves_a_note_for_staff(references_cached_once):
    from grader.sandbox import get_sandbox

    text = lec2_hw1_submission(HOSTILE_DIR / "tamper_with_zygote.py")
    result = grade_file(NetHWSizesChecker(), filename="a_lec2_hw1.py", data=text, sandbox=get_sandbox())
    assert any("RLIMIT_NOFILE" in note for note in result.staff_notes), result.staff_notes


def test_a_result_without_notes_keeps_its_json_shape():
    from grader.results import GradeResult

    assert "staff_notes" not in GradeResult.from_checks([], max_score=1.0).to_dict()
