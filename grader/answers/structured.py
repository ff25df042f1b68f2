"""Tables and pasted summaries rewritten as labelled lines, so that one reader handles every format.

A markdown table's header row (``| Layer | Input | Output |``) says which column answers which
field; its rows become ``conv1 | input: (1,3,32,32) | output: (1,32,32,32)``, and a "Total" row
becomes a line about the total (``Total params: 134,186``). A torchsummary row
(``Conv2d-1  [-1, 32, 32, 32]  2,432``) or torchinfo row (``├─Conv2d: 1-1  [1, 32, 32, 32]  2,432``)
becomes ``conv1 output: [-1, 32, 32, 32]``, its layer found by call order or by the variable name
that torchinfo shows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from grader.answers.sheet import FieldSpec
from grader.answers.values import find_shapes
from grader.answers.vocabulary import Vocabulary

_SUMMARY_ROW = re.compile(r"^\s*([A-Za-z]\w*)-(\d+)\s+(\[[^\]]*\])\s+([\d,]+)\s*$")
_TORCHINFO_ROW = re.compile(r"^[\s│├└─|+`\-]*([A-Za-z]\w*)(?:\s*\(([A-Za-z_]\w*)\))?\s*:\s*(\d+)-(\d+)\b(.*)$")

_TOTAL_CELL = re.compile(r"^[*_`\s]*(?:total|sum|總計|总计|總和|总和|合計|合计|總參數量?|总参数量?|總共)\b", re.IGNORECASE)
# For each column of a table, the field it answers (None for the others).
Columns = list[FieldSpec | None]


@dataclass(frozen=True)
class StructuredText:
    """The indexes of the lines that came from a summary, and the layers a summary answered."""

    summary_lines: frozenset[int]
    summary_layers: frozenset[str]


def rewrite_structured(lines: list[str], indexes: Sequence[int], vocabulary: Vocabulary) -> StructuredText:
    """Rewrite the table and summary rows among ``lines[index]`` for ``indexes`` (the lines that
    hold text, in order) as labelled lines, in place; leave the rest as is."""
    summary_lines: set[int] = set()
    summary_layers: set[str] = set()
    columns: Columns | None = None
    previous = -2
    for index in indexes:
        line = lines[index]
        if index != previous + 1:
            columns = None  # a blank line ends a table
        previous = index
        if "|" not in line and "-" not in line and ":" not in line:
            columns = None
            continue
        bare = line.strip().lstrip("#").strip()
        summary = _summary_row(bare, vocabulary)
        if summary is not None:
            layer, labelled = summary
            summary_layers.add(layer)
            summary_lines.add(index)
            lines[index] = labelled
        elif bare.startswith("|"):
            lines[index], columns = _table_row(bare, columns, vocabulary)
        else:
            columns = None  # a line outside the table ends it
    return StructuredText(frozenset(summary_lines), frozenset(summary_layers))


def _table_row(row: str, columns: Columns | None, vocabulary: Vocabulary) -> tuple[str, Columns | None]:
    """The row with each cell labelled by its column, and the columns for the rows after it.

    The first row without sizes that names a field in some cell is the header: it sets the
    columns and is rewritten as an empty line.
    """
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    if columns is None and not any(find_shapes(cell) for cell in cells):
        header = [vocabulary.sole_field_labelled_in(cell) for cell in cells]
        if any(header):
            return "", header
    if cells and _TOTAL_CELL.match(cells[0]):
        # "| **Total** | | | 134,186 |": the last filled cell is the total.
        filled = [cell for cell in cells[1:] if cell.strip(" *_`-")]
        return (f"Total params: {filled[-1]}" if filled else cells[0]), columns
    if columns is not None:
        cells = [_labelled_cell(cell, position, columns) for position, cell in enumerate(cells)]
    return " | ".join(cells), columns


def _labelled_cell(cell: str, position: int, columns: Columns) -> str:
    column = columns[position] if position < len(columns) else None
    return f"{column.labels[0]}: {cell}" if column is not None else cell


def _summary_row(text: str, vocabulary: Vocabulary) -> tuple[str, str] | None:
    """(layer, labelled line) for a row of a torchsummary or torchinfo summary of a layer asked about."""
    match = _SUMMARY_ROW.match(text)
    if match:
        layer = vocabulary.layer_by_call_order(match.group(1), int(match.group(2)))
        return (layer, f"{layer} output: {match.group(3)}") if layer else None
    match = _TORCHINFO_ROW.match(text)
    return _torchinfo_row(match, vocabulary) if match else None


def _torchinfo_row(match: re.Match[str], vocabulary: Vocabulary) -> tuple[str, str] | None:
    """torchinfo shows the input size too where asked (``col_names``), and may show the variable
    name (``├─Dropout (dropout): 1-9``), which names the layer better than the call order."""
    type_name, variable, _depth, index, rest = match.groups()
    if variable:
        layer = vocabulary.layer_named(variable)
    else:
        layer = vocabulary.layer_by_call_order(type_name, int(index))
    shapes = [located.value.text for located in find_shapes(rest)]
    if not layer or not shapes:
        return None
    if len(shapes) >= 2:
        return layer, f"{layer} input: {shapes[0]} output: {shapes[1]}"
    return layer, f"{layer} output: {shapes[0]}"
