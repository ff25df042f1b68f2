"""Checker feedback is stored as message ids and shown in each reader's language: every message a
checker can write has a zh-Hant translation, the result page renders stored messages in the active
language, and results stored before messages existed still show their English text."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.utils import translation

from courseportal.submissions.templatetags.feedback import feedback, layer_rows, layer_sizes, result_message
from grader.answers import Shape, explain_shape_difference
from grader.messages import Message

pytestmark = pytest.mark.usefixtures("compiled_translations")

ROOT = Path(settings.BASE_DIR)
# The engine, the checkers, and the portal services that store results of their own (a grader error).
ENGINE_FOLDERS = ("grader", "assignments", "courseportal/submissions")


def _literal_msgids(function: str = "Message") -> set[str]:
    """Every ``Message("...")`` written in the engine and the checkers (tests aside); with ``function``,
    the first argument of every call of that name (the training harness's ``said("...")``)."""
    found = set()
    for folder in ENGINE_FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            if "tests" in path.relative_to(ROOT).parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == function and node.args
                        and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                    found.add(node.args[0].value)
    return found


def _stored_msgids(raw, found: set[str]) -> set[str]:
    if isinstance(raw, dict) and "msgid" in raw and set(raw) <= {"msgid", "params"}:
        found.add(raw["msgid"])
        raw = raw.get("params", {})
    for value in raw.values() if isinstance(raw, dict) else raw if isinstance(raw, list) else ():
        _stored_msgids(value, found)
    return found


def _computed_msgids() -> set[str]:
    """Messages whose msgid is computed: what the golden results store and the reader's hints about a
    wrong size."""
    found: set[str] = set()
    for path in ROOT.glob("assignments/*/tests/golden/**/*.expected.json"):
        _stored_msgids(json.loads(path.read_text(encoding="utf-8")), found)
    for reference in ((1, 64, 8, 8), (1, 128)):
        for dims in [(2, 64, 8, 8), (64,), (64, 9, 9), (65, 8, 8), (65, 9, 9), (1, 129), (129,), (3, 64, 8, 8, 8)]:
            found.add(explain_shape_difference(Shape(dims, str(dims)), reference))
    return found


def test_every_checker_message_has_a_chinese_translation():
    msgids = _literal_msgids() | _computed_msgids()
    assert len(msgids) > 60
    with translation.override("zh-hant"):
        missing = sorted(msgid for msgid in msgids if translation.gettext(msgid) == msgid)
    assert missing == []


def test_every_message_a_golden_result_stores_says_what_its_english_text_says():
    """A reader in Chinese is told the same as one in English: rendered in English, each stored message is
    the English text stored beside it, word for word (a reason or a place left out would show here)."""
    compared = 0
    for path in ROOT.glob("assignments/*/tests/golden/**/*.expected.json"):
        stored = json.loads(path.read_text(encoding="utf-8"))
        for said in [stored, *stored.get("checks", [])]:
            if said.get("i18n"):
                compared += 1
                assert str(Message.from_dict(said["i18n"])) == said.get("feedback", said.get("message")), path.name
    assert compared > 1000


def test_every_reason_the_training_harness_gives_is_one_the_checker_shows_in_the_readers_language():
    """The harness runs in the sandbox and cannot import ``Message``: it writes ``said("...")``, and the
    trusted side translates only the msgids it knows (``PRECHECK_REASONS``, checked above)."""
    from grader.training.checker import PRECHECK_REASONS

    said = _literal_msgids("said")
    assert len(said) >= 10
    assert said <= PRECHECK_REASONS


def test_a_stored_check_is_shown_in_the_readers_language():
    message = Message("%(shape)s%(where)s is wrong: %(why)s", shape="(1, 64, 16, 16)", where="",
                      why=Message("it %(why)s.", why=Message("ignores stride=%(stride)s: %(formula)s", stride=2,
                                                              formula="out = ...")))
    check = {"name": "conv2.output", "feedback": str(message), "i18n": message.to_dict()}
    assert feedback(check) == "(1, 64, 16, 16) is wrong: it ignores stride=2: out = ...."
    with translation.override("zh-hant"):
        assert feedback(check) == "(1, 64, 16, 16) 不正確：這個答案忽略了 stride=2：out = ...。"


def test_results_stored_before_messages_show_their_english_text():
    old = {"name": "conv2.output", "feedback": "The number of channels is right; the height and width are not."}
    with translation.override("zh-hant"):
        assert feedback(old) == old["feedback"]
        assert feedback({**old, "i18n": {"msgid": "%(missing)s"}}) == old["feedback"]
        assert result_message(SimpleNamespace(message="3 of 33 answers are right.", message_i18n=None)) == (
            "3 of 33 answers are right.")


def test_the_layer_rows_come_from_the_checks_details_without_parsing_names():
    checks = [
        {"name": "a.input", "points": 0.625, "max_points": 0.625, "feedback": "Right",
         "detail": {"layer": "conv2", "field": "input", "answered": "(1, 32, 16, 16)", "verdict": "right"}},
        {"name": "b.output", "points": 0, "max_points": 0.625, "feedback": "wrong",
         "detail": {"layer": "conv2", "field": "output", "answered": "(1, 64, 16, 16)", "verdict": "wrong", "root": True}},
        {"name": "total_params", "points": 5, "max_points": 5, "feedback": "Right", "detail": {"field": "total"}},
    ]
    (row,) = layer_rows(checks)
    assert (row.layer, row.input.answered, row.output.verdict, row.verdict, row.points) == (
        "conv2", "(1, 32, 16, 16)", "wrong", "wrong", 0.625)


def _layer_check(layer: str, field: str, answered: str, verdict: str, *, feedback: str = "", root: bool = False):
    return {"name": f"{layer}.{field}", "points": 0.625 if verdict == "right" else 0, "max_points": 0.625,
            "feedback": feedback, "detail": {"layer": layer, "field": field, "answered": answered,
                                             "verdict": verdict, "root": root}}


def test_the_layer_table_draws_each_layer_and_escapes_what_the_student_wrote():
    hostile = '<img src=x onerror="alert(1)">'
    result = SimpleNamespace(checks=[
        _layer_check("conv1", "input", "(1, 3, 32, 32)", "right"),
        _layer_check("conv1", "output", hostile, "wrong", feedback=f"{hostile} is wrong\nsee conv1", root=True),
        _layer_check("fc", "input", "", "unanswered", feedback="No answer."),
        _layer_check("fc", "output", "(1, 10)", "follows"),
    ])
    html = layer_sizes(result)
    assert "<img" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert html.count('<tr class="layer-row') == 2 and html.count('<li class="net-layer') == 2
    # The first mistake: said first, its feedback's lines kept, its layer flagged in drawing and table.
    assert '<span class="layer-name">conv1</span><p>&lt;img src=x onerror=&quot;alert(1)&quot;&gt; is wrong<br>see conv1' in html
    assert '<li class="net-layer verdict-wrong root">' in html and '<tr class="layer-row verdict-wrong root">' in html
    assert '<span class="net-size">–</span>' not in html.split("fc</span>")[0]  # conv1's output was answered
    assert '<code>–</code>' in html  # fc's input was not
    assert '<span class="row-verdict" aria-hidden="true">0.625 / 1.25</span>' in html
    assert '<td colspan="4"><p>No answer.</p></td>' in html
    with translation.override("zh-hant"):
        assert translation.gettext("Your first mistake") in layer_sizes(result)
        assert translation.gettext("Your first mistake") != "Your first mistake"
