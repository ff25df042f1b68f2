"""Medians, percentiles and the benchmark's report, shared by every measurement."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Mapping, Sequence

# Each figure, its unit and what it means, in report order; the JSON object uses the same keys.
FIGURE_LABELS: dict[str, str] = {
    "cores": "CPU cores on this machine",
    "sandbox": "sandbox in use (bwrap or unsafe-dev)",
    "database": "database the stack ran on (sqlite or postgresql; --database-url)",
    "runs": "runs per median",
    "sandbox_overhead_ms": "sandbox's own cost per run (sandboxed - unsandboxed, trivial file), ms",
    "sandboxed_trivial_ms": "trivial file through the sandbox, ms",
    "unsandboxed_trivial_ms": "trivial file run in-process, no sandbox, ms",
    "hw1_grade_s": "grade one lec2_hw1 file through the checker, sandboxed (warm pool), s",
    "hw1_grade_reused_s": "the same, its code the class's (only the answers differ): the model's build reused, s",
    "hw1_grade_cold_s": "the same, first grading of a new process (zygote starting), s",
    "hw1_bare_python_s": "`python <the same file>`, no sandbox, no grading, s",
    "hw1_grade_to_bare_ratio": "hw1_grade_s / hw1_bare_python_s",
    "python_import_torch_s": "`python -c 'import torch'` cold start, s",
    "upload_to_result_p50_s": "idle system: HTTP upload -> result on the result page, median, s",
    "upload_to_result_p95_s": "idle system: the same, 95th percentile, s",
    "burst_students": "deadline burst: students uploading",
    "burst_seconds": "deadline burst: window they upload in, s",
    "burst_grades_per_s": "deadline burst: results per second (first upload -> last result)",
    "burst_time_to_result_p50_s": "deadline burst: upload -> result visible, median, s",
    "burst_time_to_result_p95_s": "deadline burst: upload -> result visible, 95th percentile, s",
    "burst_time_to_result_max_s": "deadline burst: upload -> result visible, slowest, s",
    "burst_server_p95_s": "deadline burst: upload stored -> result stored (database), 95th percentile, s",
    "burst_lost": "deadline burst: accepted uploads without a result at the end (must be 0)",
    "burst_errors": "deadline burst: HTTP errors (must be 0)",
    "burst_claimed_more_than_once": "deadline burst: uploads a worker claimed again (a grading was cut off)",
    "poison_uploads": "poisoned burst: poisoned uploads mixed into a second burst (--poison)",
    "poison_others_p50_s": "poisoned burst: the other students' upload -> result visible, median, s",
    "poison_others_p95_s": "poisoned burst: the others' upload -> result visible, 95th percentile, s",
    "poison_others_max_s": "poisoned burst: the others' upload -> result visible, slowest, s",
    "poison_others_slowdown_p95": "poisoned burst: poison_others_p95_s / burst_time_to_result_p95_s",
    "poison_others_lost": "poisoned burst: the others' accepted uploads without a result (must be 0)",
    "poison_errors": "poisoned burst: HTTP errors, and the others' results that are not grades (must be 0)",
    "poison_time_to_result_max_s": "poisoned burst: the poisoned uploads' own upload -> result, slowest, s",
    "poison_unfinished": "poisoned burst: poisoned uploads left without a result (must be 0)",
    "flood_uploads_sent": "flood: uploads the flooding student sent",
    "flood_uploads_refused": "flood: of those, refused by the per-student rate limit",
    "flood_others_p50_s": "flood: other students' upload -> result, median, s",
    "flood_others_p95_s": "flood: other students' upload -> result, 95th percentile, s",
    "flood_slowdown": "flood: flood_others_p50_s / upload_to_result_p50_s",
    "flood_errors": "flood: HTTP errors (must be 0)",
    "saturation_students": "saturation: the class uploading again and again (one in flight each, the rate limit kept)",
    "saturation_step_seconds": "saturation: seconds each step's uploads arrive (then it waits for every result)",
    "saturation_distinct_code": "saturation: every upload's code differs, so every grading builds the model (--distinct-code)",
    "saturation_sign_in_s": "saturation: signing the class in and opening the assignment page (not measured), s",
    "saturation_sustained_uploads_per_s": "saturation: highest arrival rate kept up with (every step up to it), uploads/s",
    "saturation_sustained_results_per_s": "saturation: results per second at that rate",
    "saturation_sustained_cpu_ms_per_upload": "saturation: the stack's CPU per upload at that rate, ms",
    "saturation_peak_results_per_s": "saturation: most results per second of any step (capacity once saturated)",
    "saturation_stopped_at": "saturation: the step it stopped at, and why",
    "saturation_lost": "saturation: accepted uploads without a result, all steps (must be 0)",
    "saturation_errors": "saturation: HTTP errors, refusals, results other than graded, all steps (must be 0)",
    "gradebook_students": "gradebook: students x assignments (x submissions each)",
    "gradebook_ms": "gradebook page render, median, ms",
    "gradebook_queries": "gradebook page SQL queries",
    "gradebook_small_students": "gradebook: the smaller class, students",
    "gradebook_small_ms": "gradebook page render for the smaller class, median, ms",
    "gradebook_small_queries": "gradebook page SQL queries for the smaller class",
    "training_precheck_s": "lec2_hw3 pre-check of the starter (warm CPU sandbox), median, s",
    "training_device": "device training runs on (cpu here, cuda on a GPU worker)",
    "training_time_to_result_s": "lec2_hw3 starter graded whole through the engine (pre-check, training, prediction), s",
    "training_student_seconds": "of that, the student's own train() call, s",
    "training_overhead_s": "what grading adds to the student's training (sandboxes, torch imports, data, prediction), s",
    "training_epochs": "epochs the starter trained",
    "training_accuracy": "the starter's test accuracy on the bundled digits",
    "training_score": "the starter's score",
    "training_idle_first_feedback_s": "idle system: HTTP upload -> the page shows the pre-check passed, s",
    "training_idle_upload_to_result_s": "idle system: HTTP upload -> training result on the page, s",
    "training_idle_service_overhead_s": "idle system: upload -> result, less the student's own training time, s",
    "training_burst_students": "training burst: students uploading lec2_hw3",
    "training_burst_seconds": "training burst: window they upload in, s",
    "training_burst_epochs": "training burst: epochs the uploaded file trains (0: the starter's own)",
    "training_burst_first_feedback_p50_s": "training burst: upload -> first feedback (pre-check verdict), median, s",
    "training_burst_first_feedback_p95_s": "training burst: upload -> first feedback, 95th percentile, s",
    "training_burst_time_to_result_p50_s": "training burst: upload -> result visible, median, s",
    "training_burst_time_to_result_p95_s": "training burst: upload -> result visible, 95th percentile, s",
    "training_burst_time_to_result_max_s": "training burst: upload -> result visible, slowest, s",
    "training_burst_student_seconds_p50": "training burst: the students' own train() time, median, s",
    "training_burst_slot_seconds_p50": "training burst: a training slot held per job (both runs), median, s",
    "training_burst_lost": "training burst: accepted uploads without a result at the end (must be 0)",
    "training_burst_errors": "training burst: HTTP errors or results other than graded (must be 0)",
    "training_burst_started_more_than_once": "training burst: jobs started on a slot more than once",
}


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def percentile(values: Sequence[float], percent: float) -> float:
    """The nearest-rank percentile (an observed value, never an interpolation); NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def rounded(value: float, digits: int = 3) -> float | None:
    """``value`` rounded for the report; None for NaN (JSON has no NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(value, digits)


def report_text(figures: Mapping[str, object]) -> str:
    """One ``name = value  # meaning`` line per figure, in ``FIGURE_LABELS`` order, then any others
    (lists and tables, such as the saturation's steps, are left to their own report)."""
    shown = {name: value for name, value in figures.items() if not isinstance(value, list | dict)}
    names = [name for name in FIGURE_LABELS if name in shown]
    names += [name for name in shown if name not in FIGURE_LABELS]
    width = max(len(name) for name in names)
    lines = []
    for name in names:
        label = FIGURE_LABELS.get(name, "")
        lines.append(f"{name:<{width}} = {_display(figures[name]):>10}" + (f"   # {label}" if label else ""))
    return "\n".join(lines)


def report_json(figures: Mapping[str, object]) -> str:
    return json.dumps(dict(figures), sort_keys=False)


def _display(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
