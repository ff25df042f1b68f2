"""Where answers can be written: a ``.py`` file's comments, strings and literal data, or a
notebook's markdown, comments, strings and printed outputs; each line with its place in the file.

Code is left out (its lines are empty in the answer text, numbering kept), so that ``self.conv1 =
nn.Conv2d(3, 32, ...)`` is never read as an answer, except lines that only hold data
(``conv1_out = (1, 32, 32, 32)``, ``"conv1": [(1, 3, 32, 32), (1, 32, 32, 32)],``): those are answers
written as Python. The code itself is kept beside the answer text (``code``), for the reader to
know what a comment is about (``x = F.relu(self.bn1(self.conv1(x)))  # (1, 32, 32, 32)``).

Linear whatever the file holds: fast searches for the characters that open a comment or a string
and for the words that mark code worth knowing ("self", "def"), atomic patterns (no backtracking)
for a string's body, and Python code run once per comment, string or data line found, never once
per line of the file, up to ``MAX_ANSWER_LINES`` (then ``stopped_at`` says where reading stopped).
The standard ``tokenize`` costs seconds on crafted files of 2 MB.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from grader.content import SubmissionFile, cell_source

# Where a line's text came from, for what a comment is about.
TEXT = ""  # markdown, a docstring, a comment on a line of its own at the top level, printed output
BESIDE_CODE = "beside"  # a comment written after code on the same line
IN_CODE = "in-code"  # a comment on a line of its own inside a block of code (a function's body)

# How many lines of answer text one file may give: far more than any answer sheet, and a bound on
# what a crafted file costs to read.
MAX_ANSWER_LINES = 10_000
_MAX_LINE_TEXT = 20_000
# How many lines of one cell's printed output are read: the first and the last half of it.
MAX_PRINTED_LINES = 200

# Where a comment or a string may start; then the string's body, read by an atomic pattern.
_OPENING = re.compile(r"[#'\"]")
_TRIPLE_BODY = {
    "'": re.compile(r"(?>(?:[^'\\]|\\.|'(?!''))*)'{3}", re.DOTALL),
    '"': re.compile(r'(?>(?:[^"\\]|\\.|"(?!""))*)"{3}', re.DOTALL),
}
_SINGLE_BODY = {
    "'": re.compile(r"(?>(?:[^'\\\n]|\\.)*)'", re.DOTALL),
    '"': re.compile(r'(?>(?:[^"\\\n]|\\.)*)"', re.DOTALL),
}
# A line of data: names, numbers, brackets, quotes, ":" or "=", a digit, and no call but
# ``torch.Size(``; looked for only on lines that hold "=" or ":".
_DATA_LINE = re.compile(r"[ \t\w\"'.,:=\[\](){}+\-]+")
_DATA_HINT = re.compile(r"[=:]")
_DIGIT = re.compile(r"\d")
_CALL = re.compile(r"\b(?!Size\b)[A-Za-z_]\w*\s*\(")
_NOT_DATA = re.compile(r"^\s*(?:self\.|def\b|class\b|return\b|import\b|from\b|for\b|if\b|elif\b|while\b|with\b|assert\b)")
# Lines of code ``flow`` reads: they call a layer or start a function.
_CODE_HINT = re.compile(r"self|def")


class Places(Sequence[str]):
    """Where each line is, as the student finds it, computed when asked: "line 70" in a file;
    "cell 3, line 2", "cell 3, output line 1" or "cell 3" in a notebook."""

    def __init__(self, count: int, parts: Sequence[tuple[int, str]] = ()) -> None:
        # parts: (first line index, "cell 3, line {}") in order; without parts, "line {}".
        self.count = count
        self.starts = [start for start, _ in parts]
        self.formats = [pattern for _, pattern in parts]

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return tuple(self[position] for position in range(*index.indices(self.count)))
        if index < 0:
            index += self.count
        if not 0 <= index < self.count:
            raise IndexError(index)
        if not self.starts:
            return f"line {index + 1}"
        part = bisect.bisect_right(self.starts, index) - 1
        return self.formats[part].format(index - self.starts[part] + 1)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class AnswerText:
    """The text that may hold answers, line by line (empty where there is none); where each line
    is (``places``); where its text came from (``TEXT``, ``BESIDE_CODE``, ``IN_CODE``); the code on
    each line (``code``, "" for none); and ``stopped_at``, the first line not read when the file
    gave more than ``MAX_ANSWER_LINES`` lines of answer text (None when it was read in full)."""

    lines: Sequence[str]
    places: Sequence[str]
    contexts: Sequence[str]
    code: Sequence[str]
    stopped_at: int | None = None

    @classmethod
    def of_lines(cls, lines: Sequence[str], places: Sequence[str] | None = None) -> AnswerText:
        """Plain text (markdown, say): every line is text, no code."""
        count = len(lines)
        return cls(tuple(lines), places if places is not None else Places(count), (TEXT,) * count, ("",) * count)


@dataclass
class _Lines:
    lines: list[str]
    contexts: list[str]
    code: list[str]
    found: int = 0
    stopped_at: int | None = None

    @classmethod
    def blank(cls, count: int) -> _Lines:
        return cls([""] * count, [TEXT] * count, [""] * count)

    def write(self, index: int, text: str, *, first: bool = False) -> bool:
        """Add ``text`` to 0-based line ``index``, after what is already there (before, ``first``).
        False once ``MAX_ANSWER_LINES`` lines were written: reading stops."""
        if not 0 <= index < len(self.lines) or not text:
            return True
        if not self.lines[index]:
            self.found += 1
            if self.found > MAX_ANSWER_LINES:
                self.stopped_at = index
                return False
            self.lines[index] = text
        elif len(self.lines[index]) < _MAX_LINE_TEXT:  # a line that long holds nothing more to read
            self.lines[index] = f"{text} {self.lines[index]}" if first else f"{self.lines[index]} {text}"
        return True


def answer_text(submission: SubmissionFile) -> AnswerText:
    """The answer text of ``submission`` with the place of every line, read in one pass."""
    if submission.notebook is None:
        return python_text(submission.text or "")
    lines: list[str] = []
    contexts: list[str] = []
    code: list[str] = []
    parts: list[tuple[int, str]] = []
    found = 0
    for cell_number, cell in enumerate(submission.notebook.get("cells", []), start=1):
        if not isinstance(cell, dict):
            continue
        if found > MAX_ANSWER_LINES:
            return AnswerText(lines, Places(len(lines), parts), contexts, code, stopped_at=len(lines))
        source = cell_source(cell)
        read = python_answer_text(source, MAX_ANSWER_LINES - found) if cell.get("cell_type") == "code" \
            else _text_lines(source)
        printed = _printed_lines(cell)
        parts.append((len(lines), f"cell {cell_number}, line {{}}"))
        if read.stopped_at is not None:
            stopped_at = len(lines) + read.stopped_at
            lines.extend(read.lines)
            contexts.extend(read.contexts)
            code.extend(read.code)
            return AnswerText(lines, Places(len(lines), parts), contexts, code, stopped_at=stopped_at)
        lines.extend(read.lines)
        contexts.extend(read.contexts)
        code.extend(read.code)
        if printed:
            parts.append((len(lines), f"cell {cell_number}, output line {{}}"))
            lines.extend(printed)
            contexts.extend([TEXT] * len(printed))
            code.extend([""] * len(printed))
        # A blank line between cells, so that one cell's answer never runs into the next cell.
        parts.append((len(lines), f"cell {cell_number}"))
        lines.append("")
        contexts.append(TEXT)
        code.append("")
        found += len(read.lines) - read.lines.count("") + len(printed)
    return AnswerText(lines, Places(len(lines), parts), contexts, code)


def python_text(source: str) -> AnswerText:
    """The answer text of a ``.py`` file's ``source``, its lines placed as "line 70"."""
    read = python_answer_text(source)
    return AnswerText(read.lines, Places(len(read.lines)), read.contexts, read.code, read.stopped_at)


def python_answer_text(source: str, limit: int = MAX_ANSWER_LINES) -> _Lines:
    """The comments, strings and data lines of ``source``, on the lines where they are written,
    with the code beside each comment. Never raises; an unterminated triple-quoted string runs to
    the end of the file, an unterminated quote to the end of its line."""
    read = _Lines.blank(source.count("\n") + 1)
    read.found = MAX_ANSWER_LINES - limit
    in_string: set[int] = set()  # lines that a multi-line string covers: no data, no code
    lines = _LineCounter(source)
    position = 0
    for found in range(2 * limit + 1):
        opening = _OPENING.search(source, position)
        if opening is None:
            break
        line = lines.at(opening.start())
        if found == 2 * limit:  # comments and strings beyond any answer sheet: read no further
            read.stopped_at = line
            break
        position, more = _comment_or_string(read, source, opening.start(), line, in_string, lines)
        if not more:
            break
    _data_lines(read, source, in_string)
    _code_lines(read, source, in_string)
    return read


def python_answer_lines(source: str) -> list[str]:
    """The answer text of Python ``source``, one string per line (see ``python_answer_text``)."""
    return python_answer_text(source).lines


class _LineCounter:
    """The 0-based line of an offset, and where its line ends, for offsets asked in increasing
    order (linear in all: a long line's end is found once, not once per offset on it)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.line = 0
        self.counted = 0
        self.next_newline = -1

    def at(self, offset: int) -> int:
        self.line += self.source.count("\n", self.counted, offset)
        self.counted = offset
        return self.line

    def end_of_line(self, offset: int) -> int:
        if self.next_newline < offset:
            found = self.source.find("\n", offset)
            self.next_newline = len(self.source) if found < 0 else found
        return self.next_newline


def _comment_or_string(
    read: _Lines, source: str, start: int, line: int, in_string: set[int], lines: _LineCounter,
) -> tuple[int, bool]:
    """Read the comment or string at ``start``; return where reading goes on, and False when it
    stops (the answer text is full, or the rest of the file is a string)."""
    character = source[start]
    if character == "#":
        end_of_line = lines.end_of_line(start)
        return end_of_line, _comment(read, source, line, start, end_of_line)
    if source.startswith(character * 3, start):
        body = _TRIPLE_BODY[character].match(source, start + 3)
        if body is None:  # unterminated: the rest of the file is the string
            in_string.update(range(line, len(read.lines)))
            _string(read, line, source[start + 3 :], in_string)
            return len(source), False
        return body.end(), _string(read, line, source[start + 3 : body.end() - 3], in_string)
    body = _SINGLE_BODY[character].match(source, start + 1)
    if body is None:  # unterminated on its line: nothing more on that line is worth reading
        return lines.end_of_line(start), True
    return body.end(), _string(read, line, source[start + 1 : body.end() - 1], in_string)


def _comment(read: _Lines, source: str, line: int, start: int, end: int) -> bool:
    # A comment is the last thing on its line, so each line's start is looked for once.
    before = source[source.rfind("\n", 0, start) + 1 : start]
    if before.strip():
        read.code[line] = before
        read.contexts[line] = BESIDE_CODE
    elif before:
        read.contexts[line] = IN_CODE
    return read.write(line, source[start + 1 : end])


def _string(read: _Lines, line: int, body: str, in_string: set[int]) -> bool:
    pieces = body.split("\n")
    for offset, text in enumerate(pieces):
        if not read.write(line + offset, text):
            return False
    if len(pieces) > 1:
        in_string.update(range(line, line + len(pieces)))
    return True


def _hinted_lines(source: str, hint: re.Pattern[str], stop: int | None, budget: int) -> Iterator[tuple[int, str]]:
    """(line index, line text) of each line where ``hint`` matches, once per line, before line
    ``stop``, at most ``budget`` of them."""
    lines = _LineCounter(source)
    position = 0
    while budget > 0:
        found = hint.search(source, position)
        if found is None:
            return
        line = lines.at(found.start())
        if stop is not None and line >= stop:
            return
        end = source.find("\n", found.start())
        end = len(source) if end < 0 else end
        yield line, source[source.rfind("\n", 0, found.start()) + 1 : end]
        budget -= 1
        position = end + 1


def _data_lines(read: _Lines, source: str, in_string: set[int]) -> None:
    """Lines of code that only hold data (``conv1_out = (1, 32, 32, 32)``) are answer text too."""
    for line, text in _hinted_lines(source, _DATA_HINT, read.stopped_at, 2 * MAX_ANSWER_LINES):
        code = text.split("#", 1)[0].strip()
        if line in in_string or not _DATA_HINT.search(code) or not _DIGIT.search(code):
            continue
        is_data = _DATA_LINE.fullmatch(code) and not _NOT_DATA.match(code) and not _CALL.search(code)
        if is_data and not read.write(line, code, first=True):
            return


def _code_lines(read: _Lines, source: str, in_string: set[int]) -> None:
    """The code of lines that call a layer or start a function, for ``flow``."""
    for line, text in _hinted_lines(source, _CODE_HINT, read.stopped_at, MAX_ANSWER_LINES):
        if line not in in_string and not read.code[line]:
            read.code[line] = text.split("#", 1)[0]


def _text_lines(source: str) -> _Lines:
    lines = source.split("\n")
    return _Lines(lines, [TEXT] * len(lines), [""] * len(lines))


def _printed_lines(cell: dict[str, Any]) -> list[str]:
    """What a code cell printed: its streams and the plain text of its results (the first and last
    ``MAX_PRINTED_LINES // 2`` lines of a long output: a training log is no answer)."""
    printed: list[str] = []
    outputs = cell.get("outputs") if cell.get("cell_type") == "code" else None
    for output in outputs if isinstance(outputs, list) else []:
        if not isinstance(output, dict):
            continue
        if output.get("output_type") == "stream":
            text = output.get("text", "")
        elif output.get("output_type") in ("execute_result", "display_data"):
            data = output.get("data")
            text = data.get("text/plain", "") if isinstance(data, dict) else ""
        else:
            continue
        text = "".join(text) if isinstance(text, list) else str(text)
        printed.extend(text.rstrip("\n").split("\n"))
    if len(printed) > MAX_PRINTED_LINES:
        half = MAX_PRINTED_LINES // 2
        printed = [*printed[:half], "", *printed[-half:]]
    return printed
