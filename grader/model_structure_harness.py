"""Runs in the sandbox: load the student's file, build their model, describe its structure.

This file is shipped as source text (``SandboxRequest.harness``) and must stay self-contained:
standard library and torch only, no import from ``grader``. The trusted side imports
``describe_model`` from here too, so the canonical model and the student's are described by the
same code. The entry point is ``describe_submission``; what it returns is validated on the trusted
side by ``grader.model_structure.StructureReport.from_sandbox``.
"""

import io
import json
import os
import sys
import traceback
import types

CONFIG_FILE = "structure_request.json"


def describe_model(model):
    """Every submodule (name, torch class name) with the shapes of its own parameters."""
    modules = []
    for name, module in model.named_modules():
        if not name:
            continue  # the model itself: its class name is the student's choice
        parameters = [
            [parameter_name, [int(size) for size in parameter.shape]]
            for parameter_name, parameter in module.named_parameters(recurse=False)
        ]
        modules.append({"name": name, "type": type(module).__name__, "parameters": parameters})
    return modules


def describe_submission(scratch):
    with open(os.path.join(scratch, CONFIG_FILE), encoding="utf-8") as handle:
        config = json.load(handle)
    path = os.path.join(scratch, config["entry_file"])
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    module = types.ModuleType("submission")
    module.__file__ = path
    sys.modules["submission"] = module
    load_error = None
    try:
        exec(compile(source, config["entry_file"], "exec"), module.__dict__)
    except BaseException as error:  # noqa: BLE001 - student code may raise anything, SystemExit included
        load_error = _last_lines(error)
    model_class = module.__dict__.get(config["class_name"])
    if not isinstance(model_class, type):
        return {"built": False, "error": load_error or f"no class named {config['class_name']}", "load_error": load_error}
    try:
        model = build_for_description(model_class)
        modules = describe_model(model)
    except BaseException as error:  # noqa: BLE001
        return {"built": False, "error": _last_lines(error), "load_error": load_error}
    return {"built": True, "error": None, "load_error": load_error, "modules": modules}


# The weight initialisers the built-in layers call from ``reset_parameters`` (Conv*, Linear: kaiming
# then uniform for the bias). Only shapes are described, so the values they draw are never used.
SKIPPED_INITIALISERS = ("kaiming_uniform_", "uniform_")
HELD_OUTPUT_CHARACTERS = 64 * 1024


def build_for_description(model_class):
    """``model_class()``, first without drawing initial weights; if that attempt raises, exactly as before.

    Drawing the weights is CPU spent on values nobody reads (lec2_hw1's 130,000 weights: about
    0.8 ms of each run). The first attempt leaves them as allocated and holds back what it
    prints; if it raises anything, what it printed is dropped, torch's random generator is put
    back and the model is built again the ordinary way, so a student whose ``__init__`` needs its
    weights (or fails for any other reason) gets exactly the result and output of a plain build.
    """
    import torch
    from torch.nn import init

    generator_state = torch.get_rng_state()
    originals = {name: getattr(init, name) for name in SKIPPED_INITIALISERS}
    streams = sys.stdout, sys.stderr
    held = _HeldOutput(), _HeldOutput()
    try:
        for name in SKIPPED_INITIALISERS:
            setattr(init, name, _leave_as_allocated)
        sys.stdout, sys.stderr = held
        model = model_class()
    except BaseException:  # noqa: BLE001 - anything: build it the ordinary way instead
        model = None
    finally:
        for name, initialiser in originals.items():
            setattr(init, name, initialiser)
        # A stream the model's own code replaced stays replaced, as after a plain build.
        sys.stdout = streams[0] if sys.stdout is held[0] else sys.stdout
        sys.stderr = streams[1] if sys.stderr is held[1] else sys.stderr
    if model is None or held[0].overflowed or held[1].overflowed:
        sys.stdout, sys.stderr = streams
        torch.set_rng_state(generator_state)
        return model_class()
    for stream, text in zip(streams, held, strict=True):
        stream.write(text.getvalue())
    return model


def _leave_as_allocated(tensor, *args, **kwargs):
    return tensor


class _GiveUp(BaseException):
    """Ends the first attempt (a BaseException, which ``except Exception`` in the model lets through)."""


class _HeldOutput(io.StringIO):
    """What the first attempt prints. Past ``HELD_OUTPUT_CHARACTERS`` the attempt is given up, so
    that a model printing without end meets the worker's output limit as in a plain build."""

    def __init__(self):
        super().__init__()
        self.overflowed = False

    def write(self, text):
        if self.overflowed or self.tell() + len(text) > HELD_OUTPUT_CHARACTERS:
            self.overflowed = True
            raise _GiveUp()
        return super().write(text)


def _last_lines(error):
    lines = traceback.format_exception_only(type(error), error)
    frames = [
        frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename != "<harness>"
    ]
    where = f" (line {frames[-1].lineno} of {os.path.basename(frames[-1].filename)})" if frames else ""
    return ("".join(lines).strip() + where)[-500:]
