"""Work done inside the benchmark's throwaway state, one task per process.

Run by ``BenchmarkStack.run_task`` as ``python -m courseportal.operations.benchmark.stack_tasks
<task>`` with the stack's environment (its own database, media, broker), a JSON object of arguments
on stdin and the task's JSON answer as the last line of stdout. Never run it by hand against real
data: ``prepare`` and ``gradebook`` add courses and students.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courseportal.settings")


def prepare(*, groups: dict[str, int], training_epochs: int = 0) -> dict:
    """The uploading class, the lec2_hw1 file they upload (and its poisoned twin), and the checker's
    reference cached; and the lec2_hw3 file the training scenarios upload (the starter, trained for
    ``training_epochs``)."""
    from assignments.lec2_hw1.tests.solution import solution_text
    from courseportal.operations.benchmark.population import (
        HW1,
        TRAINING,
        poisoned_file_text,
        uploading_class_create,
    )
    from grader.registry import get_checker

    reference = get_checker(HW1).reference()  # computed with torch once, here, not in the timed runs
    population = uploading_class_create(groups=groups)
    return {"course": population.course_slug, "assignment": population.assignment_slug,
            "password": population.password, "groups": population.groups,
            "file_text": solution_text(reference), "poison_file_text": poisoned_file_text(solution_text(reference)),
            "training_assignment": TRAINING,
            "training_file_text": training_file_text(epochs=training_epochs),
            "training_starter_text": training_file_text()}


def training_file_text(*, epochs: int = 0) -> str:
    """lec2_hw3's starter as students get it, or trained for ``epochs`` (a lighter file for a burst)."""
    from assignments.lec2_hw3.tests.solution import starter_text

    return starter_text(epochs=epochs or None)


def training_cost(*, runs: int) -> dict:
    """lec2_hw3's pre-check (warm CPU sandbox) and one whole grading of the starter on this machine's
    training device, with the student's own training time and what the grading adds to it."""
    from courseportal.operations.benchmark.figures import median, rounded
    from courseportal.operations.benchmark.population import TRAINING
    from grader import grade_file, precheck_file
    from grader.registry import get_checker
    from grader.sandbox import get_sandbox

    checker = get_checker(TRAINING)
    text = training_file_text().encode()
    name = f"310510123_{TRAINING}.py"

    def precheck() -> None:
        if not precheck_file(checker, filename=name, data=text, sandbox=get_sandbox()).passed:
            raise RuntimeError("the starter did not pass its pre-check")

    precheck()  # the warm sandbox starts (imports torch): not what a pre-check costs
    prechecks = [_seconds(precheck) for _ in range(runs)]
    started = time.perf_counter()
    result = grade_file(checker, filename=name, data=text, sandbox=get_sandbox())
    whole = time.perf_counter() - started
    if result.status != "graded" or result.training is None:
        raise RuntimeError(f"the starter was not graded: {result.to_dict()}")
    training = result.training
    return {
        "training_precheck_s": rounded(median(prechecks), 3),
        "training_device": training.device,
        "training_time_to_result_s": rounded(whole, 2),
        "training_student_seconds": rounded(training.training_seconds, 2),
        "training_overhead_s": rounded(whole - training.training_seconds, 2),
        "training_epochs": training.epochs,
        "training_accuracy": rounded(training.accuracy, 4),
        "training_score": result.score,
    }


def grading_cost(*, runs: int) -> dict:
    """The sandbox's own cost, grading one lec2_hw1 file, and plain ``python`` on the same file."""
    from django.conf import settings

    from assignments.lec2_hw1.tests.solution import solution_text
    from courseportal.operations.benchmark.figures import median, rounded
    from courseportal.operations.benchmark.population import HW1
    from grader import grade_file
    from grader.registry import get_checker
    from grader.sandbox import get_sandbox
    from grader.sandbox.measure import overhead_ms

    checker = get_checker(HW1)
    text = solution_text(checker.reference()).encode()
    serials = itertools.count()

    def grade(*, code_of_its_own: bool = True) -> None:
        # A statement of its own makes each file's code new, so that its model is built in the sandbox;
        # a comment of its own (another answer) leaves the code the class shares (grader/run_reuse.py).
        own = f"\nbenchmark_run = {next(serials)}\n" if code_of_its_own else f"\n# run {next(serials)}\n"
        result = grade_file(checker, filename=f"310510123_{HW1}.py", data=text + own.encode(), sandbox=get_sandbox())
        if result.status != "graded" or result.score != checker.points:
            raise RuntimeError(f"the correct file was not graded full marks: {result.to_dict()}")

    cold = _seconds(grade)  # this process's first grading starts its sandbox (the zygote imports torch)
    graded = [_seconds(grade) for _ in range(runs)]
    reused = [_seconds(lambda: grade(code_of_its_own=False)) for _ in range(runs)]
    overhead = overhead_ms(runs=max(runs, 20))
    with tempfile.TemporaryDirectory(prefix="benchmark-bare-") as folder:
        student_file = Path(folder) / f"310510123_{HW1}.py"
        student_file.write_bytes(text)
        bare = [_seconds(lambda: _python(str(student_file), cwd=folder)) for _ in range(runs)]
        import_torch = [_seconds(lambda: _python("-c", "import torch", cwd=folder)) for _ in range(runs)]
    return {
        "sandbox": settings.SANDBOX,
        "sandbox_overhead_ms": overhead["overhead_median_ms"],
        "sandboxed_trivial_ms": overhead["sandboxed_median_ms"],
        "unsandboxed_trivial_ms": overhead["unsandboxed_median_ms"],
        "hw1_grade_s": rounded(median(graded), 4),
        "hw1_grade_reused_s": rounded(median(reused), 4),
        "hw1_grade_cold_s": rounded(cold, 3),
        "hw1_bare_python_s": rounded(median(bare), 3),
        "hw1_grade_to_bare_ratio": rounded(median(graded) / median(bare), 5),
        "python_import_torch_s": rounded(median(import_torch), 3),
    }


def gradebook(*, students: int, small_students: int, assignments: int, submissions_per_assignment: int,
              runs: int) -> dict:
    """Render the instructor's gradebook for two class sizes: median time and SQL queries of each."""
    from django.db import connection

    from courseportal.operations.benchmark.population import gradebook_class_create

    figures = {"database": connection.vendor}  # what the stack's processes really use
    for prefix, size in (("gradebook_small", small_students), ("gradebook", students)):
        generated = gradebook_class_create(slug=f"gradebook-{size}", students=size, assignments=assignments,
                                           submissions_per_assignment=submissions_per_assignment)
        milliseconds, queries = _gradebook_render(generated, runs=runs)
        figures[f"{prefix}_ms"] = milliseconds
        figures[f"{prefix}_queries"] = queries
        figures[f"{prefix}_students"] = (
            f"{size}x{assignments}x{submissions_per_assignment}" if prefix == "gradebook" else size
        )
    return figures


def _gradebook_render(generated, *, runs: int) -> tuple[float, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from courseportal.operations.benchmark.figures import median, rounded

    client = Client(HTTP_HOST="127.0.0.1")  # an allowed host: DEBUG is off, as in production
    client.force_login(generated.instructor)
    url = reverse("gradebook:course", args=[generated.course.slug])

    def render() -> None:
        response = client.get(url)
        if response.status_code != 200 or f"{generated.course.slug}-s0000".encode() not in response.content:
            raise RuntimeError(f"the gradebook page answered {response.status_code} without the class")

    render()  # templates compiled, connection open: what a running server has
    times = [_seconds(render) * 1000 for _ in range(runs)]
    with CaptureQueriesContext(connection) as queries:
        render()
    return rounded(median(times), 1), len(queries.captured_queries)


def audit(*, accounts: list[str], assignment: str) -> dict:
    """What the database says about the given students' uploads: how many have no result, how
    many were claimed more than once, and upload-stored -> result-stored times."""
    from courseportal.submissions.models import Submission

    rows = list(
        Submission.objects.filter(student__username__in=accounts, assignment__slug=assignment)
        .values_list("pk", "created_at", "attempts", "result__graded_at", "result__status")
    )
    return {
        "submissions": len(rows),
        "without_result": sum(1 for *_, graded_at, _status in rows if graded_at is None),
        "claimed_more_than_once": sum(1 for _, _, attempts, *_ in rows if attempts > 1),
        "not_graded": sum(1 for *_, status in rows if status is not None and status != "graded"),
        "server_seconds": [(graded_at - created_at).total_seconds()
                           for _, created_at, _, graded_at, _ in rows if graded_at is not None],
    }


def training_audit(*, accounts: list[str], assignment: str) -> dict:
    """What the database says about these students' training uploads: without a result, replaced,
    started more than once, upload stored -> result stored, and the students' own training times."""
    from courseportal.submissions.models import Submission, TrainingJob

    rows = list(Submission.objects.filter(student__username__in=accounts, assignment__slug=assignment)
                .values_list("pk", "status", "created_at", "result__graded_at"))
    jobs = {job.submission_id: job for job in TrainingJob.objects.filter(submission_id__in=[row[0] for row in rows])}
    finished = [job for job in jobs.values() if job.summary]
    return {
        "submissions": len(rows),
        "without_result": sum(1 for _, status, _, graded_at in rows if graded_at is None and status != "replaced"),
        "replaced": sum(1 for _, status, *_ in rows if status == "replaced"),
        "started_more_than_once": sum(1 for job in jobs.values() if job.attempts > 1),
        "server_seconds": [(graded_at - created_at).total_seconds() for _, _, created_at, graded_at in rows
                           if graded_at is not None],
        "student_seconds": [job.summary["training_seconds"] for job in finished],
        "gpu_seconds": [(job.finished_at - job.started_at).total_seconds() for job in finished
                        if job.started_at and job.finished_at],
    }


def sessions(*, accounts: list[str]) -> dict:
    """A signed-in session for each account, made by ``django.contrib.auth.login`` as the login view
    does once the password is checked (the saturation's class skips only the password hashing)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    made = {}
    for user in get_user_model().objects.filter(username__in=accounts):
        client = Client()
        client.force_login(user)
        made[user.username] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"cookie": settings.SESSION_COOKIE_NAME, "sessions": made}


def database_server() -> dict:
    """The pid of the database server's main process on this machine (PostgreSQL: the parent of
    this connection's backend); None on SQLite, which runs inside each process that uses it."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return {"pid": None}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{backend}/stat").read_text().rpartition(")")[2].split()
    except OSError:  # the server runs elsewhere: its CPU cannot be read here
        return {"pid": None}
    return {"pid": int(fields[1])}


def submission_times(*, submission_ids: list[int], accounts: list[str], since: float) -> dict:
    """Each submission's moments as the database stored them (seconds since the epoch): uploaded
    (created), claimed by a worker, result stored (graded) and e-mailed (notified, just after the
    result's transaction committed), with the grading's own seconds; and the ids of the accounts'
    submissions stored since ``since`` (an upload stored although its student got no answer shows there)."""
    from datetime import UTC, datetime

    from courseportal.submissions.models import Submission

    def epoch(moment) -> float | None:
        return moment.timestamp() if moment is not None else None

    rows = Submission.objects.filter(pk__in=submission_ids).values_list(
        "pk", "created_at", "claimed_at", "attempts", "result__status", "result__grading_seconds",
        "result__graded_at", "result__notified_at")
    stored = Submission.objects.filter(student__username__in=accounts,
                                       created_at__gte=datetime.fromtimestamp(since, tz=UTC))
    return {
        "submissions": {
            str(pk): {"created": epoch(created), "claimed": epoch(claimed), "attempts": attempts, "status": status,
                      "grading_s": grading_s, "graded": epoch(graded), "notified": epoch(notified)}
            for pk, created, claimed, attempts, status, grading_s, graded, notified in rows
        },
        "stored_since": list(stored.values_list("pk", flat=True)),
    }


def _seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _python(*argv: str, cwd: str) -> None:
    subprocess.run([sys.executable, *argv], cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})


TASKS: dict[str, Callable[..., dict]] = {
    "prepare": prepare, "grading-cost": grading_cost, "gradebook": gradebook, "audit": audit,
    "training-cost": training_cost, "training-audit": training_audit, "sessions": sessions,
    "database-server": database_server, "submission-times": submission_times,
}


def main() -> None:
    django.setup()
    task = TASKS[sys.argv[1]]
    answer = task(**json.load(sys.stdin))
    sys.stdout.write("\n" + json.dumps(answer) + "\n")


if __name__ == "__main__":
    main()
