"""Runs in the sandbox: load the student's file, build their model, describe its structure.

This file is shipped as source text (``SandboxRequest.harness``) and must stay self-contained:
standard library and torch only, no import from ``grader``. The trusted side imports
``describe_model`` from here too, so the canonical model and the student's are described by the
same code. The entry point is ``describe_submission``; what it returns is validated on the trusted
side by ``grader.model_structure.StructureReport.from_sandbox``.
"""

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
        model = model_class()
        modules = describe_model(model)
    except BaseException as error:  # noqa: BLE001
        return {"built": False, "error": _last_lines(error), "load_error": load_error}
    return {"built": True, "error": None, "load_error": load_error, "modules": modules}


def _last_lines(error):
    lines = traceback.format_exception_only(type(error), error)
    frames = [
        frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename != "<harness>"
    ]
    where = f" (line {frames[-1].lineno} of {os.path.basename(frames[-1].filename)})" if frames else ""
    return ("".join(lines).strip() + where)[-500:]
