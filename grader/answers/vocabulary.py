"""The words a reader acts on: the layers asked about (by name in any spelling, by class and
channels, by position in the network), the labels of the fields asked per layer, and the words
that change what a number next to them means (``5x5 kernel``, ``or``, ``without``, ``total``).

Built once per reading from what the checker asks; looking a word up costs one dict lookup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from grader.answers.sheet import FieldSpec, LayerSpec

# What a word is to the reader. A layer's name, a label and a class name carry a value.
LAYER = "layer"  # value: the layer's name
CLASS = "class"  # value: the layers of that torch class, in order
POSITION = "position"  # "layer" in "layer 3"
LABEL = "label"  # value: the field's name
OTHER = "other"  # a number next to it is about something else: 5x5 kernel, stride 2, 32 channels
TOTAL = "total"
PARAMETERS = "parameters"  # "params" where no per-layer count is asked: the total, or another thing
HEDGE = "hedge"  # "or (1, 64, 8, 8)?": an alternative answer follows
HYPOTHETICAL = "hypothetical"  # "without padding it would be ...": not the answer
NOTE = "note"  # "note: ...": the line's values are notes
FINAL = "final"  # "final answer", "corrected": this is the answer that stands
SAME = "same"  # "output: same (as input)"
DITTO = "ditto"  # "同上", "ditto", "〃": the same as this field of the layer on the line above
RELATIVE = "relative"  # value: the field it labels, when a layer's name follows ("after conv1")
FILLER = "filler"  # keeps a label waiting for its value: "output of conv1 is a tensor of shape ..."

INPUT_WORDS = ("takes", "take", "taking", "receives", "receive", "accepts", "accept", "enters", "進入",
               "接收", "吃進")
OUTPUT_WORDS = ("produces", "produce", "producing", "gives", "give", "giving", "returns", "return",
                "yields", "yield", "becomes", "become", "result", "resulting", "emits",
                "得到", "變成", "变成", "變為", "变为", "產生", "产生")
# Labels only before a layer's name: "shape after conv1: ...", "the tensor into conv2", "conv1之後".
BEFORE_WORDS = ("before", "into", "之前", "以前")
AFTER_WORDS = ("after", "之後", "以後", "後", "后")
_OTHER_WORDS = (
    "kernel", "kernels", "kernel_size", "filter", "filters", "stride", "strides", "padding", "pad",
    "dilation", "group", "groups", "weight", "weights", "bias", "biases", "channel", "channels", "ch",
    "chs", "chan", "chans", "flops", "flop", "macs", "mac", "mb", "kb", "gb", "bytes", "byte", "epoch",
    "epochs", "lr", "layers", "classes", "k", "p", "g", "h", "w", "c", "h_out", "w_out",
    "h_in", "w_in", "height", "width", "step", "steps", "times", "percent",
    "通道", "核", "卷積核", "步長", "步幅", "填充", "權重", "偏差", "偏置", "類別", "高", "寬", "次",
)
_PARAMETER_WORDS = ("param", "params", "parameter", "parameters", "參數", "参数", "參數量", "参数量")
_TOTAL_WORDS = ("total", "sum", "overall", "altogether", "總", "总", "合計", "合计", "總共", "总共", "總和",
                "总和", "總計", "总计", "一共", "共", "總參數量", "总参数量", "總參數", "总参数")
_HEDGE_WORDS = ("or", "maybe", "perhaps", "probably", "possibly", "unsure", "guess", "還是", "或", "或是",
                "或者", "或許", "可能", "大概", "不確定", "不确定")
_HYPOTHETICAL_WORDS = ("would", "could", "if", "without", "instead", "otherwise", "wrong", "incorrect",
                       "not", "isn", "wasn", "never", "mistake", "mistakenly", "unless", "若", "如果",
                       "假如", "假設", "否則", "不是", "錯", "錯誤", "错误", "而非", "誤")
# A line that says it is a note holds notes, not answers: "conv2 note: 64 channels, 8x8".
_NOTE_WORDS = ("note", "notes", "remark", "remarks", "hint", "備註", "备注", "註", "注意")
_FINAL_WORDS = ("final", "corrected", "correction", "最終", "最终", "最後答案", "更正", "修正", "正確答案",
                "正确答案")
_SAME_WORDS = ("same", "unchanged", "不變", "不变", "相同", "一樣", "一样")
_DITTO_WORDS = ("ditto", "同上", "〃")
_FILLER_WORDS = (
    "is", "are", "was", "were", "be", "will", "the", "a", "an", "of", "shape", "shapes", "size", "sizes",
    "dim", "dims", "dimension", "dimensions", "tensor", "tensors", "feature", "features", "map", "maps",
    "with", "has", "have", "having", "as", "then", "now", "so", "thus", "therefore", "hence", "it", "its",
    "this", "that", "which", "and", "equal", "equals", "like", "self", "nn", "layer", "torch",
    "value", "values", "should", "must", "still", "also", "answer", "ans", "my", "data", "remains",
    "stays", "keeps", "keep", "to", "at", "for", "by", "in", "on",
    "是", "為", "为", "的", "大小", "尺寸", "形狀", "形状", "維度", "维度", "張量", "张量", "則", "则", "等於",
    "等于", "就是", "會是", "会是", "應為", "应为", "應該是", "应该是", "仍是", "仍為", "層", "层", "特徵圖",
)
HEADING_FILLER_WORDS = ("the", "of", "for", "layer", "size", "shape", "tensor", "is", "an", "a", "self", "nn",
                         "q", "step", "part", "no", "ans", "answer", "的", "層", "层", "第")


@dataclass(frozen=True)
class Vocabulary:
    """The layers and fields asked about, and what each word of an answer is to the reader."""

    layers: tuple[LayerSpec, ...]
    fields: tuple[FieldSpec, ...]
    words: Mapping[str, tuple[str, object]]  # folded word -> (what it is, its value)
    field_labels: Mapping[str, str]  # folded label -> field name: only the labels of ``fields``
    field_label_pattern: re.Pattern[str]  # any of the labels of ``fields``, as a whole word
    class_names: Mapping[str, tuple[str, ...]]  # torch class name, as written -> its layers
    chinese: re.Pattern[str]  # the Chinese words above, found inside a run of Chinese characters
    relevant_words: frozenset[str]  # folded words that make a line worth reading (names, labels, ...)
    names: re.Pattern[str]  # the layers' names, in any spelling
    known: dict[str, list[tuple[str, object]]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, layers: Sequence[LayerSpec], fields: Sequence[FieldSpec]) -> Vocabulary:
        """The vocabulary of ``layers`` and ``fields`` (built once for each, then kept)."""
        key = (tuple(layers), tuple(fields))
        built = _BUILT.get(key)
        if built is None:
            built = cls._build(*key)
            if len(_BUILT) >= 64:
                _BUILT.clear()
            _BUILT[key] = built
        return built

    def meanings(self, word: str) -> list[tuple[str, object]]:
        """What a word (or a run of Chinese characters) is to the reader, as a list:
        ``conv1_out`` is a layer and a label, ``的輸入是`` a filler word, a label and another."""
        found = self.known.get(word)
        if found is None:
            found = self._meanings(word)
            if len(self.known) < 8192:
                self.known[word] = found
        return found

    def _meanings(self, word: str) -> list[tuple[str, object]]:
        if _is_chinese(word):
            return [found for match in self.chinese.finditer(word) if (found := self.lookup(match.group()))]
        if word in self.class_names:
            # "Dropout" is the class (as a hook or summary prints it), "dropout" the layer.
            return [(CLASS, self.class_names[word])]
        found = self.lookup(word)
        if found is not None:
            return [found]
        position = _POSITION.match(word)
        if position is not None:
            return [(POSITION, int(position.group(1)))]
        parts = word.split("_")
        if len(parts) < 2 or len(parts) > 8:
            return []
        meanings: list[tuple[str, object]] = []
        start = 0
        while start < len(parts):
            for end in range(len(parts), start, -1):
                found = self.lookup("_".join(parts[start:end])) if parts[start] else None
                if found is not None and (found[0] != FILLER or end - start == 1):
                    meanings.append(found)
                    start = end
                    break
            else:
                start += 1
        return meanings

    @classmethod
    def _build(cls, layers: tuple[LayerSpec, ...], fields: tuple[FieldSpec, ...]) -> Vocabulary:
        words: dict[str, tuple[str, object]] = {}
        relevant: set[str] = set()

        def add(entries, kind: str, value: object = None) -> None:
            for entry in entries:
                words[_fold(entry)] = (kind, value)
                if kind in (LABEL, TOTAL, PARAMETERS, CLASS, LAYER) and not _is_chinese(entry):
                    relevant.add(_fold(entry))

        add(_FILLER_WORDS, FILLER)
        add(_SAME_WORDS, SAME)
        add(_DITTO_WORDS, DITTO)
        add(_HYPOTHETICAL_WORDS, HYPOTHETICAL)
        add(_NOTE_WORDS, NOTE)
        add(_HEDGE_WORDS, HEDGE)
        add(_FINAL_WORDS, FINAL)
        add(_OTHER_WORDS, OTHER)
        add(_TOTAL_WORDS, TOTAL)
        add(_PARAMETER_WORDS, PARAMETERS)
        names = {spec.name for spec in fields}
        if "input" in names:
            add(INPUT_WORDS, LABEL, "input")
            add(BEFORE_WORDS, RELATIVE, "input")
        if "output" in names:
            add(OUTPUT_WORDS, LABEL, "output")
            add(AFTER_WORDS, RELATIVE, "output")
        for spec in fields:
            add(spec.labels, LABEL, spec.name)
        by_class: dict[str, list[str]] = {}
        for layer in layers:
            by_class.setdefault(layer.type_name, []).append(layer.name)
        for type_name, members in by_class.items():
            add([type_name], CLASS, tuple(members))
        words["layer"] = (POSITION, None)
        for layer in layers:
            add([layer.name], LAYER, layer.name)
        chinese = sorted((word for word in words if _is_chinese(word)), key=len, reverse=True)
        return cls(
            layers=tuple(layers),
            fields=tuple(fields),
            words=words,
            field_labels={_fold(word): spec.name for spec in fields for word in spec.labels},
            field_label_pattern=_label_pattern([word for spec in fields for word in spec.labels]),
            class_names={type_name: tuple(members) for type_name, members in by_class.items()},
            chinese=re.compile("|".join(re.escape(word) for word in chinese) or r"(?!)"),
            relevant_words=frozenset(relevant),
            names=re.compile("|".join(_spelling(layer.name) for layer in layers) or r"(?!)", re.IGNORECASE),
        )

    def worth_reading(self, line: str) -> bool:
        """Whether ``line`` may hold an answer: a digit, or a name, label or total word. Done with
        C-level set operations: an alternation of a hundred words costs a second on 2 MB."""
        if _DIGIT.search(line) or self.chinese.search(line):
            return True
        folded = line.lower().translate(_FOLDED)
        return not self.relevant_words.isdisjoint(_ASCII_WORDS.findall(folded))

    def lookup(self, word: str) -> tuple[str, object] | None:
        """What ``word`` (as written: ``Conv_1``, ``Outputs``) is to the reader, or None."""
        return self.words.get(_fold(word))

    def layer_named(self, written: str) -> str | None:
        """The layer asked about that ``written`` names (``Conv_1`` for ``conv1``), if any."""
        found = self.words.get(_fold(written))
        return found[1] if found and found[0] == LAYER else None  # type: ignore[return-value]

    def layer_at(self, position: int) -> str | None:
        """The layer at 1-based ``position`` in the network, if there is one."""
        return self.layers[position - 1].name if 1 <= position <= len(self.layers) else None

    def field(self, name: str) -> FieldSpec | None:
        return next((spec for spec in self.fields if spec.name == name), None)

    def sole_field_labelled_in(self, text: str) -> FieldSpec | None:
        """The one field that the labels in ``text`` name (``Output shape``, ``輸出大小``), or None
        for none or many."""
        named = set()
        for word in _WORDS.findall(text):
            if _is_chinese(word):
                named.update(self.field_labels[found] for found in self.chinese.findall(word)
                             if found in self.field_labels)
            elif _fold(word) in self.field_labels:
                named.add(self.field_labels[_fold(word)])
        return self.field(named.pop()) if len(named) == 1 else None

    def layer_by_call_order(self, type_name: str, index: int) -> str | None:
        """The layer that a summary's row ``index`` (1-based) of torch class ``type_name`` is: the
        summary numbers layers in call order, so only a layer of that class in that place."""
        if 1 <= index <= len(self.layers) and self.layers[index - 1].type_name.lower() == type_name.lower():
            return self.layers[index - 1].name
        return None

    def layer_by_class_arguments(self, type_name: str, arguments: Sequence[int]) -> str | None:
        """The one layer of class ``type_name`` whose constructor starts with ``arguments``
        (``Conv2d(3, 32`` is conv1), if exactly one layer fits."""
        found = self.words.get(_fold(type_name))
        if not found or found[0] != CLASS:
            return None
        members = [layer for layer in self.layers if layer.name in found[1]]  # type: ignore[operator]
        if len(members) == 1 and not arguments:
            return members[0].name
        fitting = [layer for layer in members if arguments and layer.leading_arguments()[: len(arguments)]
                   == tuple(arguments)]
        return fitting[0].name if len(fitting) == 1 else None


_WORDS = re.compile(r"[A-Za-z_]+|[\u3400-\u9fff]+")
_DIGIT = re.compile(r"\d")
_ASCII_WORDS = re.compile(r"[a-z][a-z0-9]*")
_FOLDED = str.maketrans("", "", "_-")
_POSITION = re.compile(r"layer-?(\d{1,3})$", re.IGNORECASE)
_BUILT: dict[tuple[tuple[LayerSpec, ...], tuple[FieldSpec, ...]], Vocabulary] = {}


def _label_pattern(labels: Sequence[str]) -> re.Pattern[str]:
    """Any of ``labels`` as a whole word (Chinese labels anywhere: Chinese has no spaces)."""
    ordered = sorted(labels, key=len, reverse=True)
    alternatives = [re.escape(label) if _is_chinese(label) else rf"(?<![A-Za-z]){re.escape(label)}(?![A-Za-z_])"
                    for label in ordered]
    return re.compile("|".join(alternatives) or r"(?!)", re.IGNORECASE)


def _spelling(word: str) -> str:
    """A pattern for ``word`` as written in any case, and ``conv1`` also as ``conv_1`` and ``conv-1``."""
    match = re.fullmatch(r"([A-Za-z_]+?)(\d+)", word)
    if match:
        return re.escape(match.group(1)) + r"[_\-]?" + match.group(2)
    return re.escape(word)


def _fold(word: str) -> str:
    """``Conv_1``, ``conv-1`` and ``CONV1`` are one word."""
    return word.replace("_", "").replace("-", "").lower() if word.isascii() else word


def _is_chinese(word: str) -> bool:
    return bool(word) and not word.isascii()
