"""Where answers can be written: the comments and strings of a ``.py`` file, or a notebook's cells.

Python code itself is left out (blank lines keep the numbering), so that ``self.conv1 =
nn.Conv2d(3, 32, ...)`` is never read as an answer about ``conv1``.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass
from typing import Any

from grader.content import SubmissionFile, cell_source

# ``self.conv1 = nn.Conv2d(...)  # in: ... out: ...``: the comment answers about ``conv1``.
_LAYER_ASSIGNMENT = re.compile(r"^\s*self\.([A-Za-z_]\w*)\s*(?::[^=#]*)?=(?!=)")


@dataclass(frozen=True)
class AnswerText:
    """The text that may hold answers, line by line, and where each line is as the student finds
    it: "line 70" in a file, "cell 3, line 2" in a notebook (cells numbered from the top, from 1)."""

    lines: tuple[str, ...]
    places: tuple[str, ...]


def answer_text(submission: SubmissionFile) -> AnswerText:
    """The answer text of ``submission`` with the place of every line, read in one pass."""
    if submission.notebook is None:
        lines = python_answer_lines(submission.text or "")
        return AnswerText(tuple(lines), tuple(f"line {number}" for number in range(1, len(lines) + 1)))
    lines: list[str] = []
    places: list[str] = []
    for cell_number, cell in enumerate(submission.notebook.get("cells", []), start=1):
        cell_lines = _cell_answer_lines(cell)
        lines.extend(cell_lines)
        places.extend(f"cell {cell_number}, line {number}" for number in range(1, len(cell_lines) + 1))
        # A blank line between cells, so that one cell's answer never runs into the next cell.
        lines.append("")
        places.append(f"cell {cell_number}")
    return AnswerText(tuple(lines), tuple(places))


def _cell_answer_lines(cell: dict[str, Any]) -> list[str]:
    """A markdown cell is all answer text; a code cell only its comments and strings."""
    source = cell_source(cell)
    return python_answer_lines(source) if cell.get("cell_type") == "code" else source.split("\n")


def python_answer_lines(source: str) -> list[str]:
    """The comments and string literals of ``source``, on the lines where they are written.

    A comment at the end of ``self.<name> = ...`` is read as being about ``<name>``: the name
    itself is code, which is otherwise left out. A file that does not tokenize is read roughly.
    """
    lines = [""] * (source.count("\n") + 1)
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                _write_at(lines, token.start[0], _comment_text(token))
            elif token.type == tokenize.STRING:
                for offset, text in enumerate(_string_body(token.string).split("\n")):
                    _write_at(lines, token.start[0] + offset, text)
    except (tokenize.TokenError, SyntaxError, ValueError):
        return _rough_answer_lines(source)
    return lines


def _comment_text(token: tokenize.TokenInfo) -> str:
    comment = token.string.lstrip("#")
    owner = _LAYER_ASSIGNMENT.match(token.line)
    return f"{owner.group(1)}: {comment}" if owner is not None else comment


def _write_at(lines: list[str], number: int, text: str) -> None:
    """Add ``text`` to 1-based line ``number``, after what is already there."""
    if 1 <= number <= len(lines):
        lines[number - 1] = f"{lines[number - 1]} {text}".strip() if lines[number - 1] else text


def _string_body(literal: str) -> str:
    body = literal.lstrip("rRbBuUfF")
    for quote in ('"""', "'''", '"', "'"):
        if body.startswith(quote) and body.endswith(quote) and len(body) >= 2 * len(quote):
            return body[len(quote):-len(quote)]
    return body


def _rough_answer_lines(source: str) -> list[str]:
    """For files that do not tokenize: text after ``#`` and inside triple quotes."""
    lines = []
    in_block = False
    for line in source.split("\n"):
        quotes = line.count('"""') + line.count("'''")
        if in_block or quotes:
            lines.append(line.replace('"""', " ").replace("'''", " "))
        elif "#" in line:
            lines.append(line.split("#", 1)[1])
        else:
            lines.append("")
        in_block = in_block != (quotes % 2 == 1)
    return lines
