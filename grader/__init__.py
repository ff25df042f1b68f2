"""The grading engine: checkers, the sandbox, reading submissions, references.

It knows nothing of the portal. ``grade_file`` grades one file's bytes with one checker and returns
a ``GradeResult``; whoever calls it (the portal's Celery task, ``manage.py grade``, the benchmark)
decides where the file comes from and where the result goes.

A checker (``assignments/<slug>/checker.py``) needs only the names exported here: the ``Checker``
base class, the answers it asks for (``LayerSpec`` with ``INPUT_SIZE``, ``OUTPUT_SIZE``,
``PARAMETER_COUNT``), ``count_check`` for counts, and for reports ``ManualProblem`` and
``RubricItem``. A training homework subclasses ``grader.training.TrainingChecker`` instead.
"""

from grader.answers import INPUT_SIZE, OUTPUT_SIZE, PARAMETER_COUNT, FieldSpec, LayerSpec, count_check
from grader.checker import CHECKER_QUEUES, CHECKS_QUEUE, GPU_QUEUE, Checker, ManualProblem, RubricItem
from grader.grading import grade_file, precheck_file
from grader.results import CheckOutcome, GradeResult
from grader.sandbox.types import SandboxLimits

__all__ = [
    "CHECKER_QUEUES", "CHECKS_QUEUE", "GPU_QUEUE", "INPUT_SIZE", "OUTPUT_SIZE", "PARAMETER_COUNT", "CheckOutcome",
    "Checker", "FieldSpec", "GradeResult", "LayerSpec", "ManualProblem", "RubricItem", "SandboxLimits", "count_check",
    "grade_file", "precheck_file",
]
