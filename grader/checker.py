"""The checker plugin API: what a TA subclasses in ``assignments/<slug>/checker.py``.

A checker declares its metadata as class attributes and implements ``check``. It is found by
``grader.registry`` without any edit to ``grader/`` or ``courseportal/``. See
``docs/adding-an-assignment.md``.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import inspect
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any, ClassVar, Protocol

from grader.answers import AnswerSheet, FieldSpec, LayerSpec, answer_text, handout_lines, read_answers
from grader.conf import engine_setting
from grader.content import SubmissionFile, default_max_bytes
from grader.documents import PdfReading, read_pdf
from grader.messages import Message, Text
from grader.reference_cache import reference_cached
from grader.results import CheckOutcome, GradeResult, TrainingSummary
from grader.run_reuse import run_memo
from grader.sandbox.types import SandboxLimits, SandboxOutcome, SandboxRequest

STARTER_WITHOUT_ANSWERS = Message(
    "You uploaded the starter file without answers: everything in it is the handout's own text. "
    "Write your answers in it, save it, and upload it again."
)
# The queues checkers are graded on: seconds of CPU, or a training run on a GPU worker.
CHECKS_QUEUE = "checks"
GPU_QUEUE = "gpu"
CHECKER_QUEUES = (CHECKS_QUEUE, GPU_QUEUE)
# Every upload is graded on this queue first: a ``gpu`` checker's pre-check runs there in seconds,
# and only a file that passes it is handed on to wait for a GPU.
UPLOAD_QUEUE = CHECKS_QUEUE
# A rubric item's comment is a line the student reads beside the points, not an essay.
RUBRIC_COMMENT_MAX_CHARACTERS = 300


@dataclass(frozen=True)
class ManualProblem:
    """One part of a report that TAs grade by hand: the check it is stored as, its title, its points.

    ``keywords`` (any language; matched case- and space-insensitively) show that a report appears to
    address the problem: a hint for the TA and the student (``Checker.problems_addressed``), never points.
    """

    name: str
    title: str
    points: float
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class RubricItem:
    """A reusable rubric item of a hand-graded problem, like Gradescope's: a point adjustment and the
    short comment the student sees when a TA applies it.

    A problem's score starts at its full points; the items applied and the TA's own adjustment are
    added (most items take points off), and the sum is kept within 0..the problem's points. The
    items declared here seed an assignment's rubric in the portal, where its staff edit it.
    """

    problem: str
    points: float
    comment: str


class Sandbox(Protocol):
    def run(self, request: SandboxRequest, *, on_report: Callable[[bytes], None] | None = None) -> SandboxOutcome: ...


@dataclass(frozen=True)
class Precheck:
    """What a pre-check came to: when not ``passed``, ``result`` is the file's final result (it never
    waits for a GPU); when passed, ``result`` holds what was found (checks worth 0 points)."""

    passed: bool
    result: GradeResult


class Checker:
    """Base class of every assignment checker: metadata (class attributes) plus ``check``.

    ``check`` runs in the grading worker, trusted code; anything that executes the student's code
    goes through ``self.run``. What every checker needs is offered here, so that a TA learns these
    names and not the engine's modules:

    - ``self.reference()``: what ``compute_reference`` returns (torch allowed), computed once per
      checker version, cached as JSON, and turned into objects by ``load_reference``;
    - ``self.load_starter(name)``: a starter file imported as a module, to compute references from;
    - ``self.read_answers(submission, layers=..., fields=...)``: every answer found in the file
      (never the starter files' own text), with the other readings a TA may have to choose from;
    - ``self.run(sandbox, harness=..., entry=..., files=...)``: code run in the sandbox under
      ``limits`` (a ``gpu`` checker's runs get a fresh process without asking);
    - ``self.read_pdf(submission, sandbox)``: a PDF's page count and text, read in the sandbox
      (never parse an uploaded document in ``check`` itself: a crafted one costs minutes);
    - ``self.result(checks, message=...)``: the graded result, scored as the sum of its checks;
      ``self.starter_without_answers()`` for a file that is only the starter;
    - ``precheck`` (optional): seconds of CPU before a long run; a training checker
      (``grader.training.TrainingChecker``) has one, and only files that pass it wait for a GPU.
    """

    slug: ClassVar[str]
    title: ClassVar[str]
    points: ClassVar[float]
    accepted_extensions: ClassVar[tuple[str, ...]] = (".py",)
    queue: ClassVar[str] = CHECKS_QUEUE
    limits: ClassVar[SandboxLimits] = SandboxLimits()
    # Files handed to students, relative to the checker's folder.
    starter_files: ClassVar[tuple[str, ...]] = ()
    # None: 2 MB for code and notebooks, 20 MB for PDFs.
    max_upload_bytes: ClassVar[int | None] = None
    # True for reports that TAs grade by hand: the checker only validates the file.
    manual_grading: ClassVar[bool] = False
    # What TAs grade, one points field each; their points add up to ``points``. Empty: one grade
    # for the whole file.
    manual_problems: ClassVar[tuple[ManualProblem, ...]] = ()
    # The rubric a course starts from for a hand-graded checker (``RubricItem``s of its problems).
    rubric: ClassVar[tuple[RubricItem, ...]] = ()
    # The problems as handed out, for a report checker: text every report may quote, which the
    # portal's similarity check ignores.
    problem_statements: ClassVar[tuple[str, ...]] = ()
    # Share of the lecture's homework grade, copied to new assignments (staff may change it there).
    weight_percent: ClassVar[int] = 100
    description: ClassVar[str] = ""
    # What the instructor chose for this assignment (``grade_file(..., options=)``), e.g.
    # {"follow_through_credit": 0.5}; a checker reads it with ``self.option(name, default)``.
    options: Mapping[str, Any] = MappingProxyType({})

    def with_options(self, options: Mapping[str, Any] | None) -> Checker:
        """A copy of this checker that grades with ``options`` (this one is left as it is: a
        process shares its checkers)."""
        if not options:
            return self
        configured = copy.copy(self)
        configured.options = MappingProxyType(dict(options))
        return configured

    def option(self, name: str, default: Any) -> Any:
        return self.options.get(name, default)

    def check(self, submission: SubmissionFile, sandbox: Sandbox) -> GradeResult:
        raise NotImplementedError(f"{type(self).__name__} must implement check()")

    def precheck(self, submission: SubmissionFile, sandbox: Sandbox) -> Precheck | None:
        """Seconds of checks before ``check`` (on the upload queue, before a GPU run); None: none."""
        return None

    def grading_seconds(self) -> float:
        """The longest ``check`` may take in the sandbox: a claim on its grading must outlast it."""
        return self.limits.wall_seconds

    @property
    def upload_queue(self) -> str:
        """The queue an upload of this checker is graded on first (the pre-check, if it has one)."""
        return UPLOAD_QUEUE

    # --- References ------------------------------------------------------------------------------

    def compute_reference(self) -> dict[str, Any]:
        """Trusted: the right answers as a JSON-able document, computed (with torch, say) from the starter."""
        raise NotImplementedError(f"{type(self).__name__} has no compute_reference()")

    def load_reference(self, document: dict[str, Any]) -> Any:
        """The cached document as the checker uses it; raise ``ValueError`` or ``KeyError`` if it is
        not one (an outdated cache file is then computed again). By default the document itself."""
        return document

    def reference(self) -> Any:
        """``load_reference(compute_reference())``, computed once per checker version and cached in
        ``GRADER_CACHE_DIR``, so that grading a file never waits for torch."""
        return reference_cached(
            slug=self.slug, version=self.version, cache_dir=engine_setting("GRADER_CACHE_DIR"),
            compute=self.compute_reference, load=self.load_reference,
        )

    def load_starter(self, name: str | None = None) -> ModuleType:
        """Trusted: starter file ``name`` (by default the first) imported afresh as a module."""
        path = self.starter_path(name or self.starter_files[0])
        spec = importlib.util.spec_from_file_location(f"{self.slug}_starter_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    # --- Answers, runs, results ------------------------------------------------------------------

    def read_answers(
        self, submission: SubmissionFile, *, layers: Sequence[LayerSpec] = (), fields: Sequence[FieldSpec] = ()
    ) -> AnswerSheet:
        """Every answer about ``layers`` (each ``fields``) and the total, read in one pass. Lines that
        are the starter files' own (instructions, the empty template) are never the student's answers;
        ``sheet.wrote_anything`` is False when the file holds nothing else."""
        return read_answers(submission, layers=layers, fields=fields, handout=self.handout)

    @property
    def handout(self) -> frozenset[str]:
        """The answer-text lines of the starter files, which the student did not write (read once
        per version of the checker's folder: the starter files are part of it)."""
        return version_derived(self.folder(), self.version, "handout", self._handout_read)

    def _handout_read(self) -> frozenset[str]:
        lines: set[str] = set()
        for name in self.starter_files:
            path = self.starter_path(name)
            if path.suffix not in (".py", ".ipynb", ".md", ".txt"):
                continue
            text = path.read_text(encoding="utf-8")
            notebook = json.loads(text) if path.suffix == ".ipynb" else None
            lines |= handout_lines(answer_text(SubmissionFile(name, path.suffix, b"", text=text, notebook=notebook)))
        return frozenset(lines)

    def read_pdf(self, submission: SubmissionFile, sandbox: Sandbox) -> PdfReading:
        """The page count and the text of the first pages of an uploaded PDF, read in the sandbox
        within ``grader.documents.DOCUMENT_LIMITS``; a PDF that cannot be read has a ``problem``."""
        return read_pdf(submission.data, sandbox=sandbox)

    def run(
        self, sandbox: Sandbox, *, harness: str, entry: str, files: Mapping[str, bytes] | None = None,
        limits: SandboxLimits | None = None, env: Mapping[str, str] | None = None, fresh_process: bool | None = None,
        data_files: Mapping[str, bytes] | None = None, hidden_paths: Sequence[str] = (),
        on_report: Callable[[bytes], None] | None = None, decided_by: Mapping[str, bytes] | None = None,
    ) -> SandboxOutcome:
        """Run the trusted ``harness`` source in the sandbox: ``entry(scratch_dir)`` is called after
        ``files`` are written to the scratch folder; what it returns comes back as ``outcome.data``.

        A ``gpu`` checker's runs get a fresh process unless ``fresh_process=False`` (its pre-check);
        ``data_files``, ``hidden_paths`` and ``on_report`` are as in ``SandboxRequest`` and
        ``sandbox.run``.

        ``decided_by``: files that decide the run's outcome as fully as ``files`` do (the student's
        code without its trailing comments: ``grader.run_reuse.python_executable_part``). An earlier
        clean outcome of the same request decided by the same files is then returned instead of
        running again (never for a run with ``on_report``, whose reports are live). Only for runs
        whose outcome cannot cost points if the code's own randomness would have made it come out
        otherwise (``grader.run_reuse``).
        """
        request = SandboxRequest(
            harness=harness, entry=entry, files=dict(files or {}), limits=limits or self.limits,
            fresh_process=self.queue == GPU_QUEUE if fresh_process is None else fresh_process, env=dict(env or {}),
            data_files=dict(data_files or {}), hidden_paths=tuple(hidden_paths),
        )

        def run() -> SandboxOutcome:
            return sandbox.run(request) if on_report is None else sandbox.run(request, on_report=on_report)

        if decided_by is None or on_report is not None:
            return run()
        return run_memo.outcome(request, decided_by, run)

    def result(self, checks: Iterable[CheckOutcome], *, message: Text = "", output: str = "",
               training: TrainingSummary | None = None, document: PdfReading | None = None) -> GradeResult:
        """The graded result: the checks, scored as the sum of their points (at most ``points``).

        ``message`` may be a ``grader.messages.Message``: the result then stores its English text and
        the message, which the portal shows in each reader's language.

        ``document``: what ``read_pdf`` found in an uploaded report; the portal keeps it with the
        stored file (page count, text), so that nothing reads the file again.
        """
        return GradeResult.from_checks(checks, max_score=self.points, message=message, output=output,
                                       training=training, document=document)

    def starter_without_answers(self) -> GradeResult:
        """The result for a file that holds nothing but the starter's own text: not graded, since
        it is no submission of answers (it counts as 0, like any rejected file), and it says so."""
        return GradeResult.rejected(STARTER_WITHOUT_ANSWERS, max_score=self.points)

    # --- Metadata --------------------------------------------------------------------------------

    @classmethod
    def hand_graded_problems(cls) -> tuple[ManualProblem, ...]:
        """The parts a TA enters points for (``manual_problems``, or the whole file as one)."""
        return cls.manual_problems or (ManualProblem("grade", cls.title, float(cls.points)),)

    @classmethod
    def problems_addressed(cls, text: str) -> tuple[str, ...]:
        """The names of the hand-graded problems whose keywords occur in ``text``: a hint of what a
        report covers (English and Chinese alike: case and spaces are ignored), never points."""
        squeezed = "".join(text.lower().split())
        return tuple(problem.name for problem in cls.hand_graded_problems()
                     if any("".join(keyword.lower().split()) in squeezed for keyword in problem.keywords))

    @classmethod
    def folder(cls) -> Path:
        return _class_folder(cls)

    @classmethod
    def starter_path(cls, name: str) -> Path:
        if name not in cls.starter_files:
            raise FileNotFoundError(name)
        return cls.folder() / name

    @classmethod
    def upload_limit(cls, extension: str) -> int:
        return cls.max_upload_bytes or default_max_bytes(extension)

    @property
    def version(self) -> str:
        """A digest of the checker's folder (tests excluded): the key of its cached references.

        Computed once per process for each state of the folder's files (their names, sizes and
        modification times), so that a grading does not read the folder again, while a TA's edit
        of the checker or its starter still makes a new version at the next grading."""
        return folder_version(self.folder())


def _class_folder(cls: type) -> Path:
    # A class's file does not move while the process runs: resolve its folder once (it is asked
    # for on every grading).
    folder = _folders.get(cls)
    if folder is None:
        folder = _folders[cls] = Path(inspect.getfile(cls)).resolve().parent
    return folder


_folders: dict[type, Path] = {}
# folder -> (the files' signature, version, what was derived from that version)
_versions: dict[Path, tuple[tuple, str, dict[str, Any]]] = {}


def folder_version(folder: Path) -> str:
    """The version of a checker's folder: a digest of its files' names and contents, except its
    ``tests`` and ``__pycache__`` folders and compiled files; read again only when a file's size
    or modification time changed, or a file came or went."""
    files = _version_files(folder)
    signature = tuple((str(relative), stat.st_size, stat.st_mtime_ns, stat.st_ino) for relative, stat in files)
    known = _versions.get(folder)
    if known is not None and known[0] == signature:
        return known[1]
    digest = hashlib.sha256()
    for relative, _stat in files:
        digest.update(str(relative).encode() + b"\0" + (folder / relative).read_bytes())
    version = digest.hexdigest()[:16]
    _versions[folder] = (signature, version, {})
    return version


def version_derived(folder: Path, version: str, name: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per version of ``folder`` (e.g. the starter's handout lines): a new
    version computes it again."""
    known = _versions.get(folder)
    if known is None or known[1] != version:
        return compute()
    derived = known[2]
    if name not in derived:
        derived[name] = compute()
    return derived[name]


def _version_files(folder: Path) -> list[tuple[Path, os.stat_result]]:
    """The versioned files of ``folder``, sorted as paths, with their stat; the top-level ``tests``
    and ``__pycache__`` folders are not walked at all (a checker's golden files are many)."""
    found: list[tuple[Path, os.stat_result]] = []
    pending: list[tuple[Path, Path]] = [(folder, Path())]
    while pending:
        directory, relative = pending.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                name = relative / entry.name
                if entry.is_dir():
                    if relative.parts or entry.name not in ("tests", "__pycache__"):
                        pending.append((Path(entry.path), name))
                elif entry.is_file() and not entry.name.endswith(".pyc"):
                    found.append((name, entry.stat()))
    return sorted(found, key=lambda item: item[0])


class CheckerDefinitionError(TypeError):
    """A checker class is missing metadata or declares impossible values."""


def validate_checker_class(cls: type[Checker]) -> None:
    """Raise ``CheckerDefinitionError`` naming the first thing wrong with ``cls``."""
    for attribute in ("slug", "title", "points"):
        if not hasattr(cls, attribute):
            raise CheckerDefinitionError(f"{cls.__qualname__} must set {attribute}")
    if not cls.slug.replace("_", "").replace("-", "").isalnum():
        raise CheckerDefinitionError(f"{cls.__qualname__}.slug {cls.slug!r} must be letters, digits, _ or -")
    if cls.queue not in CHECKER_QUEUES:
        raise CheckerDefinitionError(f"{cls.__qualname__}.queue {cls.queue!r} must be one of {CHECKER_QUEUES}")
    if not cls.accepted_extensions or not all(ext.startswith(".") for ext in cls.accepted_extensions):
        raise CheckerDefinitionError(f"{cls.__qualname__}.accepted_extensions must be like ('.py',)")
    if cls.points <= 0:
        raise CheckerDefinitionError(f"{cls.__qualname__}.points must be positive")
    if cls.manual_problems:
        names = [problem.name for problem in cls.manual_problems]
        if not cls.manual_grading:
            raise CheckerDefinitionError(f"{cls.__qualname__} sets manual_problems without manual_grading")
        if len(set(names)) != len(names) or not all(problem.points > 0 for problem in cls.manual_problems):
            raise CheckerDefinitionError(f"{cls.__qualname__}.manual_problems need distinct names and positive points")
        if abs(sum(problem.points for problem in cls.manual_problems) - cls.points) > 1e-9:
            raise CheckerDefinitionError(f"{cls.__qualname__}.manual_problems must add up to points ({cls.points})")
    _validate_rubric(cls)
    for name in cls.starter_files:
        if not (cls.folder() / name).is_file():
            raise CheckerDefinitionError(f"{cls.__qualname__}: starter file {name} is missing")


def _validate_rubric(cls: type[Checker]) -> None:
    if cls.rubric and not cls.manual_grading:
        raise CheckerDefinitionError(f"{cls.__qualname__} declares a rubric without manual_grading")
    maximum = {problem.name: problem.points for problem in cls.hand_graded_problems()}
    for item in cls.rubric:
        if item.problem not in maximum:
            raise CheckerDefinitionError(f"{cls.__qualname__}.rubric: no problem named {item.problem!r}")
        if not isinstance(item.points, int | float) or not abs(item.points) <= maximum[item.problem]:
            raise CheckerDefinitionError(
                f"{cls.__qualname__}.rubric: {item.comment!r} must adjust by at most the problem's points")
        if not item.comment.strip() or len(item.comment) > RUBRIC_COMMENT_MAX_CHARACTERS:
            raise CheckerDefinitionError(
                f"{cls.__qualname__}.rubric: each item needs a comment of 1 to {RUBRIC_COMMENT_MAX_CHARACTERS} characters")
