"""What the walk over the answer text gives back, and the walk's working state.

The principle, the way a careful TA reads: every size-like expression anywhere in the text is a
candidate answer. It belongs to the nearest mention of a layer before it (its name in any
spelling, ``Conv2d(3, 32, ...)`` for its class and channels, ``layer 3`` or ``第3層`` for its
position), on its line or in the heading it is under. A label says which field it answers
(``output:``, ``輸入``, and verbs: "takes", "outputs", "之後"); without one, a value's place does
(``conv1: A -> B`` is an input then an output, a lone size is the output, ``A -> conv1 -> B`` too).
Numbers that are working (``(32 + 4 - 5)/1 + 1 = 32``) or about something else (``5x5 kernel``,
``32 channels``, ``stride 2``) are not answers; values after "or" are alternative answers, values
after "without ... would be" or on a line that says "note" are notes.

What the walk (``walker``, ``line_reader``, ``mentions``) gives back, for ``resolve`` to decide on:
``Claim``s (a value for a layer's field, how strongly the text says so), ``Unreadable`` labels
(``output: same as above``), ``Reference``s (``output: same as input``), and ``Loose`` values that
no mention owns, for ``flow`` (comments beside ``forward()``), ``positions`` (lists in network
order) and, failing those, a TA.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.answers.shapes import Count, Shape
from grader.messages import Text

LABELLED = 3  # a label says what it is: "output: (1, 32, 16, 16)", a table's column, a summary's row
POSITIONAL = 2  # its place says what it is: "conv1: A -> B", a lone size under a layer's heading
DERIVED = 1  # the reader worked it out: "output: same as input", the size a variable had in forward()

OTHER_FIELD = "-"  # the role of a value labelled as something else ("kernel 5x5")


@dataclass(frozen=True, slots=True)
class Claim:
    """``value`` answers ``field`` of ``layer``, as strongly as ``strength`` says; ``line`` is the
    0-based index of the line it is on, ``order`` its place in reading order."""

    layer: str
    field: str
    value: Shape | Count
    line: int
    strength: int
    order: int
    labelled: bool = False
    hedged: bool = False  # written as an alternative: "or is it (1, 64, 8, 8)?"
    final: bool = False  # on a line saying it is the final or corrected answer
    from_summary: bool = False
    doubt: Text = ""  # not an answer the text gives, only a reading a TA may confirm: why


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A label for ``field`` of ``layer`` followed by text that is no value: ``written``."""

    layer: str
    field: str
    written: str
    line: int
    order: int


@dataclass(frozen=True, slots=True)
class Reference:
    """``field`` of ``layer`` is written as "same as" another answer: ``target_field`` of
    ``target_layer`` (the layer itself for "output: same as input")."""

    layer: str
    field: str
    target_layer: str
    target_field: str
    line: int
    order: int
    written: str


@dataclass(frozen=True, slots=True)
class Loose:
    """A value no mention of a layer owns. ``role`` is the field a label gave it; ``subject`` the
    name it is said of ("x" in "x: (1, 3, 32, 32)"); ``note`` is set when it is written as a
    hypothetical ("without padding it would be ...")."""

    value: Shape | Count
    line: int
    order: int
    role: str | None = None
    subject: str = ""
    note: bool = False
    arrow_before: bool = False
    hedged: bool = False
    beside_arrow: bool = False


@dataclass
class LineItem:
    """A line whose values no mention owns, as an item of a list in network order: its number
    ("3." or "(3)"), the torch class it names if any (ambiguous: "Conv2d"), its values."""

    line: int
    number: int | None
    class_name: str | None
    values: list[Loose]
    block_field: str | None = None


@dataclass
class Collected:
    claims: list[Claim] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    loose: list[Loose] = field(default_factory=list)
    items: list[LineItem] = field(default_factory=list)
    # Lines that end a list of items: a heading or a line a mention owns.
    list_breaks: set[int] = field(default_factory=set)
    stopped_at: int | None = None  # the first line not read, when the reading budget ran out


# --- The walk's working state ------------------------------------------------------------------


@dataclass
class Value:
    value: Shape | Count
    line: int
    order: int
    hedged: bool
    after_label: str | None  # the field of the labelled value it follows in its segment, if any
    arrow_before: bool
    chain_input: bool = False  # written before an arrow into the layer: "A -> conv1"
    beside_arrow: bool = False


@dataclass
class Segment:
    """The values one mention of a layer owns: on its line after it, and on the lines under it;
    with the field of the block heading it is under (``Input sizes:``), if any."""

    layer: str
    line: int
    block_field: str | None = None
    column_order: tuple[str, ...] = ()  # a header line named the fields in this order: "Layer Output Input"
    values: list[Value] = field(default_factory=list)
    labelled: set[str] = field(default_factory=set)
    last_labelled: str | None = None
    final: bool = False


@dataclass
class Label:
    role: str  # a field's name, or OTHER_FIELD
    end: int  # where the label ends on its line
    owner: str | None
    expired: bool = False  # a plain word came after it: "output after applying ReLU"
    used: bool = False  # a value (or a reference) answered it
    carried: bool = False  # it ended the line before
